/**
 * The relay's persistent libp2p identity: an Ed25519 key in `<dataDir>/identity.key` (libp2p protobuf encoding),
 * mode 0600, created on first start. Its PeerId is the relay's address; losing the file changes every node's
 * `--relay` multiaddr, so it belongs in backups (docs/deploy-relay.md).
 * Must not know: anything about the relay's services.
 */
import { chmod, link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'

/** File name of the identity key inside the data directory. */
export const IDENTITY_FILE = 'identity.key'

export class IdentityFileError extends Error {
  readonly code = 'ERR_IDENTITY_FILE'
  override readonly name = 'IdentityFileError'
}

export interface LoadedIdentity {
  privateKey: PrivateKey
  path: string
  /** true when this call generated the key */
  created: boolean
}

/** Loads `<dataDir>/identity.key`, or creates it (and the directory, mode 0700) when missing. */
export async function loadOrCreateIdentity (dataDir: string): Promise<LoadedIdentity> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const path = join(dataDir, IDENTITY_FILE)
  const existing = await readIdentity(path)
  if (existing !== undefined) return { privateKey: existing, path, created: false }
  const privateKey = await generateKeyPair('Ed25519')
  const encoded = privateKeyToProtobuf(privateKey)
  // write a temp file, then link it into place: the key appears complete or not at all, and a concurrent first
  // start (EEXIST) adopts the key that won instead of overwriting it
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  const fh = await open(tmp, 'w', 0o600)
  try {
    await fh.writeFile(encoded)
    await fh.sync()
  } finally {
    await fh.close()
    encoded.fill(0)
  }
  try {
    await link(tmp, path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new IdentityFileError(`cannot create ${path}: ${(err as Error).message}`)
    const winner = await readIdentity(path)
    if (winner === undefined) throw new IdentityFileError(`${path} vanished while being created`)
    return { privateKey: winner, path, created: false }
  } finally {
    await unlink(tmp).catch(() => {})
  }
  return { privateKey, path, created: true }
}

/** The key in `path`, or undefined when the file does not exist. */
async function readIdentity (path: string): Promise<PrivateKey | undefined> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new IdentityFileError(`cannot read ${path}: ${(err as Error).message}`)
  }
  let privateKey: PrivateKey
  try {
    privateKey = privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new IdentityFileError(`${path} is not a libp2p private key: ${(err as Error).message}`)
  } finally {
    bytes.fill(0)
  }
  // tighten a key file someone copied in with looser permissions
  if (((await stat(path)).mode & 0o777) !== 0o600) await chmod(path, 0o600)
  return privateKey
}

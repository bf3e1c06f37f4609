/**
 * The keystore: `<home>/keys.json`, the node's secrets wrapped with a key derived from the passphrase.
 * Owns the file format and the passphrase KDF; holds the identity and other keys as OPAQUE named byte strings (it
 * must not know their structure: protocol/identity does), plus the random 32-byte database key that encrypts every
 * value in the LevelDB (node/store).
 *
 * File (JSON, mode 0600, version 1):
 *   { format: "tern-keystore", version: 1,
 *     kdf: { name: "scrypt", N, r, p, salt },                      salt: base64url, 16 bytes by default
 *     dbKey: { nonce, ct },                                         AES-256-GCM(KEK, dbKey, AD_DBKEY)
 *     secrets: { names: [sorted names], nonce, ct },               AES-256-GCM(KEK, blob, AD_SECRETS(names))
 *     checksum }                                                     base64url SHA-256 of the canonical body
 *   KEK = scrypt(NFC(passphrase), salt, N, r, p, 32 bytes)
 *   blob = for each name in order: u32be(len) || bytes
 *   AD_DBKEY = "tern-keystore/v1/db-key"; AD_SECRETS = "tern-keystore/v1/secrets" || for each name: 0x00 || name
 * The AD binds the format version and the secret names, so a secret cannot be renamed, dropped or moved between
 * versions. The checksum is not a MAC (anyone can recompute it): it only tells accidental damage (CorruptStoreError)
 * apart from a wrong passphrase (WrongPassphraseError). Decoding rejects in the STYLE.md order: unparsable →
 * format/version → schema → limits → checksum → passphrase (dbKey auth) → secrets auth.
 * Every read is read-only: a wrong passphrase changes nothing. Every write is temp + fsync + rename.
 */
import { scrypt } from 'node:crypto'
import {
  aeadSeal, aeadOpen, sha256, systemRng, toBase64url, fromBase64url, utf8, concat, u32be, readU32be, wipe,
  AEAD_NONCE_BYTES, AEAD_TAG_BYTES, type Rng
} from '../../protocol/crypto/index.js'
import { InvalidArgumentError } from '../../protocol/errors.js'
import {
  WrongPassphraseError, CorruptStoreError, AlreadyInitializedError
} from '../errors.js'
import { homePaths, ensureHome } from './paths.js'
import { writeFileAtomic, createFileExclusive, isErrno, readHomeFile } from './atomic.js'

/** keys.json `format` field. */
export const KEYSTORE_FORMAT = 'tern-keystore'
/** keys.json format version written by this code. */
export const KEYSTORE_VERSION = 1
/** Length of the database key, bytes (an AES-256-GCM key). */
export const DB_KEY_BYTES = 32
/** Length of the KDF salt, bytes. */
export const KDF_SALT_BYTES = 16
/** Length of the key-encryption key derived from the passphrase, bytes. */
const KEK_BYTES = 32

/** scrypt cost parameters (RFC 7914 §2). */
export interface KdfParams {
  /** CPU/memory cost, a power of two. */
  N: number
  /** Block size. */
  r: number
  /** Parallelisation. */
  p: number
}

/** Default scrypt cost: N=2^17, r=8, p=1 (128 MiB, ~300 ms here; shared/STACK-NOTES.md). */
export const DEFAULT_KDF: Readonly<KdfParams> = Object.freeze({ N: 2 ** 17, r: 8, p: 1 })
/** Bounds accepted when reading a file (a hostile file must not make us allocate gigabytes). */
export const KDF_LIMITS = Object.freeze({ minLogN: 10, maxLogN: 20, maxR: 32, maxP: 16, maxMemBytes: 1024 * 1024 * 1024 })
/** Limits on the secrets: how many, name length, total bytes. */
export const MAX_SECRETS = 64
export const MAX_SECRET_NAME = 64
export const MAX_SECRETS_BYTES = 1024 * 1024
const NAME_RE = /^[A-Za-z0-9._-]+$/

export interface KeystoreInit {
  /** scrypt cost (tests pass cheaper ones); defaults to DEFAULT_KDF. */
  kdf?: Partial<KdfParams>
  /** Randomness for the salt, nonces and the database key (default systemRng). */
  rng?: Rng
}

/** What unlocking yields. The caller owns these buffers: wipe them (wipeKeys) when done. */
export interface UnlockedKeys {
  dbKey: Uint8Array
  secrets: Record<string, Uint8Array>
}

/** What anyone can read from keys.json without the passphrase. */
export interface KeystoreInfo {
  version: number
  kdf: KdfParams
  names: string[]
}

interface Sealed { nonce: string, ct: string }
interface KeystoreFile {
  format: string
  version: number
  kdf: { name: 'scrypt', N: number, r: number, p: number, salt: string }
  dbKey: Sealed
  secrets: { names: string[], nonce: string, ct: string }
  checksum: string
}

const AD_DBKEY = utf8('tern-keystore/v1/db-key')
function adSecrets (names: string[]): Uint8Array {
  return concat(utf8('tern-keystore/v1/secrets'), ...names.map(n => concat(new Uint8Array([0]), utf8(n))))
}

/** Zeroes every buffer of an UnlockedKeys. */
export function wipeKeys (keys: UnlockedKeys): void {
  wipe(keys.dbKey, ...Object.values(keys.secrets))
}

// ---------------------------------------------------------------------------------------------------------------
// public operations

/**
 * Creates `<home>/keys.json` with a fresh random database key and `secrets`, wrapped with `passphrase`.
 * Creates the home (mode 0700) if needed. Throws AlreadyInitializedError (changing nothing) if keys.json exists.
 * Returns the unlocked keys (copies; the caller wipes them).
 */
export async function initKeystore (home: string, passphrase: string, secrets: Record<string, Uint8Array>,
  opts: KeystoreInit = {}): Promise<UnlockedKeys> {
  const rng = opts.rng ?? systemRng
  const kdf = checkKdf({ ...DEFAULT_KDF, ...opts.kdf }, InvalidArgumentError)
  const names = checkSecrets(secrets)
  checkPassphrase(passphrase)
  const path = homePaths(home).keys
  await ensureHome(home)
  const dbKey = rng(DB_KEY_BYTES)
  const keys: UnlockedKeys = { dbKey, secrets: Object.fromEntries(names.map(n => [n, new Uint8Array(secrets[n])])) }
  try {
    await createFileExclusive(path, await sealFile(passphrase, kdf, rng(KDF_SALT_BYTES), keys, rng))
  } catch (e) {
    wipeKeys(keys)
    if (isErrno(e, 'EEXIST')) throw new AlreadyInitializedError(path)
    throw e
  }
  return keys
}

/**
 * Unwraps keys.json. Read-only. Throws NotInitializedError if it is missing, CorruptStoreError if it is damaged,
 * WrongPassphraseError if the passphrase does not unwrap it.
 */
export async function unlockKeystore (home: string, passphrase: string): Promise<UnlockedKeys> {
  const file = await loadFile(home)
  return await openFile(file, passphrase)
}

/** keys.json's version, KDF parameters and secret names, without the passphrase. */
export async function readKeystoreInfo (home: string): Promise<KeystoreInfo> {
  const f = await loadFile(home)
  return { version: f.version, kdf: { N: f.kdf.N, r: f.kdf.r, p: f.kdf.p }, names: [...f.secrets.names] }
}

/**
 * Rewraps everything under `newPassphrase` (fresh salt; KDF cost from opts, else the file's current one). The
 * database key and the secrets are unchanged. A wrong `oldPassphrase` throws WrongPassphraseError and writes nothing.
 */
export async function changePassphrase (home: string, oldPassphrase: string, newPassphrase: string,
  opts: KeystoreInit = {}): Promise<void> {
  const rng = opts.rng ?? systemRng
  checkPassphrase(newPassphrase)
  const file = await loadFile(home)
  const keys = await openFile(file, oldPassphrase)
  try {
    const kdf = checkKdf({ N: file.kdf.N, r: file.kdf.r, p: file.kdf.p, ...opts.kdf }, InvalidArgumentError)
    const body = await sealFile(newPassphrase, kdf, rng(KDF_SALT_BYTES), keys, rng)
    await writeFileAtomic(homePaths(home).keys, body)
  } finally {
    wipeKeys(keys)
  }
}

/**
 * Adds, replaces (a Uint8Array) or removes (null) named secrets, atomically. A wrong passphrase throws
 * WrongPassphraseError and writes nothing. Returns the new unlocked keys (the caller wipes them).
 * Not safe against a concurrent writer of the same home: the daemon lock (lock.ts) serialises writers.
 */
export async function updateSecrets (home: string, passphrase: string,
  changes: Record<string, Uint8Array | null>, opts: Pick<KeystoreInit, 'rng'> = {}): Promise<UnlockedKeys> {
  const rng = opts.rng ?? systemRng
  const file = await loadFile(home)
  const keys = await openFile(file, passphrase)
  const next: Record<string, Uint8Array> = { ...keys.secrets }
  for (const [name, value] of Object.entries(changes)) {
    if (value === null) { wipe(next[name]); delete next[name] } else {
      if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(`secret ${name}: expected Uint8Array or null`)
      if (next[name] !== undefined) wipe(next[name])
      next[name] = new Uint8Array(value)
    }
  }
  const out: UnlockedKeys = { dbKey: keys.dbKey, secrets: next }
  try {
    checkSecrets(next)
    const body = await sealFile(passphrase, kdfOf(file), fromBase64url(file.kdf.salt), out, rng)
    await writeFileAtomic(homePaths(home).keys, body)
  } catch (e) {
    wipeKeys(out)
    throw e
  }
  return out
}

// ---------------------------------------------------------------------------------------------------------------
// sealing and opening

function kdfOf (f: KeystoreFile): KdfParams { return { N: f.kdf.N, r: f.kdf.r, p: f.kdf.p } }

function checkPassphrase (passphrase: unknown): void {
  if (typeof passphrase !== 'string' || passphrase.length === 0) {
    throw new InvalidArgumentError('passphrase: expected a non-empty string')
  }
}

async function deriveKek (passphrase: string, salt: Uint8Array, kdf: KdfParams): Promise<Uint8Array> {
  checkPassphrase(passphrase)
  const pw = utf8(passphrase.normalize('NFC'))
  try {
    return await new Promise<Uint8Array>((resolve, reject) => {
      scrypt(pw, salt, KEK_BYTES, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r + 32 * 1024 * 1024 },
        (err, key) => { if (err !== null) reject(err); else resolve(new Uint8Array(key.buffer, key.byteOffset, key.length)) })
    })
  } finally {
    wipe(pw)
  }
}

async function sealFile (passphrase: string, kdf: KdfParams, salt: Uint8Array, keys: UnlockedKeys,
  rng: Rng): Promise<string> {
  const names = Object.keys(keys.secrets).sort()
  const blob = concat(...names.flatMap(n => [u32be(keys.secrets[n].length), keys.secrets[n]]))
  const kek = await deriveKek(passphrase, salt, kdf)
  try {
    const n1 = rng(AEAD_NONCE_BYTES)
    const n2 = rng(AEAD_NONCE_BYTES)
    const body = {
      format: KEYSTORE_FORMAT,
      version: KEYSTORE_VERSION,
      kdf: { name: 'scrypt' as const, N: kdf.N, r: kdf.r, p: kdf.p, salt: toBase64url(salt) },
      dbKey: { nonce: toBase64url(n1), ct: toBase64url(aeadSeal(kek, n1, keys.dbKey, AD_DBKEY)) },
      secrets: { names, nonce: toBase64url(n2), ct: toBase64url(aeadSeal(kek, n2, blob, adSecrets(names))) }
    }
    const file: KeystoreFile = { ...body, checksum: checksumOf(body) }
    return JSON.stringify(file, null, 2) + '\n'
  } finally {
    wipe(kek, blob)
  }
}

async function openFile (f: KeystoreFile, passphrase: string): Promise<UnlockedKeys> {
  const kek = await deriveKek(passphrase, fromBase64url(f.kdf.salt), kdfOf(f))
  let dbKey: Uint8Array
  try {
    try {
      dbKey = aeadOpen(kek, fromBase64url(f.dbKey.nonce), fromBase64url(f.dbKey.ct), AD_DBKEY)
    } catch {
      throw new WrongPassphraseError()
    }
    let blob: Uint8Array
    try {
      blob = aeadOpen(kek, fromBase64url(f.secrets.nonce), fromBase64url(f.secrets.ct), adSecrets(f.secrets.names))
    } catch {
      wipe(dbKey)
      throw new CorruptStoreError('keys.json: the secrets do not authenticate (the passphrase is right)', 'keys.json')
    }
    try {
      return { dbKey, secrets: splitBlob(blob, f.secrets.names) }
    } catch (e) {
      wipe(dbKey)
      throw e
    } finally {
      wipe(blob)
    }
  } finally {
    wipe(kek)
  }
}

function splitBlob (blob: Uint8Array, names: string[]): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {}
  let o = 0
  for (const n of names) {
    if (o + 4 > blob.length) throw new CorruptStoreError('keys.json: secrets blob truncated', 'keys.json')
    const len = readU32be(blob, o); o += 4
    if (o + len > blob.length) throw new CorruptStoreError('keys.json: secrets blob truncated', 'keys.json')
    out[n] = blob.slice(o, o + len); o += len
  }
  if (o !== blob.length) throw new CorruptStoreError('keys.json: trailing bytes in secrets blob', 'keys.json')
  return out
}

function checksumOf (body: Omit<KeystoreFile, 'checksum'>): string {
  // Canonical: fixed field order, rebuilt from validated fields (never the raw text).
  const canon = JSON.stringify([body.format, body.version, body.kdf.name, body.kdf.N, body.kdf.r, body.kdf.p,
    body.kdf.salt, body.dbKey.nonce, body.dbKey.ct, body.secrets.names, body.secrets.nonce, body.secrets.ct])
  return toBase64url(sha256(utf8(canon)))
}

// ---------------------------------------------------------------------------------------------------------------
// decoding and checks

async function loadFile (home: string): Promise<KeystoreFile> {
  const path = homePaths(home).keys
  const text = await readHomeFile(path)
  return decodeFile(text)
}

const corrupt = (why: string): CorruptStoreError => new CorruptStoreError(`keys.json: ${why}`, 'keys.json')
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isB64 = (v: unknown): v is string => typeof v === 'string' && /^[A-Za-z0-9_-]*$/.test(v)

/** Parses and validates keys.json text (no passphrase involved). Exported for tests and tools. */
export function decodeFile (text: string): KeystoreFile {
  let v: unknown
  try { v = JSON.parse(text) } catch { throw corrupt('not JSON') }
  if (!isObj(v)) throw corrupt('not an object')
  if (v.format !== KEYSTORE_FORMAT) throw corrupt('not a Tern keystore')
  if (v.version !== KEYSTORE_VERSION) throw corrupt(`unsupported version ${String(v.version)}`)
  const { kdf, dbKey, secrets, checksum } = v
  if (!isObj(kdf) || kdf.name !== 'scrypt' || !isB64(kdf.salt)) throw corrupt('bad kdf')
  if (!isObj(dbKey) || !isB64(dbKey.nonce) || !isB64(dbKey.ct)) throw corrupt('bad dbKey')
  if (!isObj(secrets) || !isB64(secrets.nonce) || !isB64(secrets.ct) || !Array.isArray(secrets.names)) {
    throw corrupt('bad secrets')
  }
  if (!isB64(checksum)) throw corrupt('bad checksum field')
  const names = secrets.names as unknown[]
  if (!names.every((n): n is string => typeof n === 'string' && n.length <= MAX_SECRET_NAME && NAME_RE.test(n))) {
    throw corrupt('bad secret name')
  }
  for (let i = 1; i < names.length; i++) if (names[i - 1] >= names[i]) throw corrupt('secret names not sorted/unique')
  if (names.length > MAX_SECRETS) throw corrupt('too many secrets')
  checkKdf({ N: kdf.N as number, r: kdf.r as number, p: kdf.p as number }, CorruptStoreError)
  const salt = fromBase64url(kdf.salt)
  if (salt.length < 16 || salt.length > 64) throw corrupt('bad salt length')
  if (fromBase64url(dbKey.nonce).length !== AEAD_NONCE_BYTES || fromBase64url(secrets.nonce).length !== AEAD_NONCE_BYTES) {
    throw corrupt('bad nonce length')
  }
  if (fromBase64url(dbKey.ct).length !== DB_KEY_BYTES + AEAD_TAG_BYTES) throw corrupt('bad dbKey length')
  if (fromBase64url(secrets.ct).length > MAX_SECRETS_BYTES + 4 * MAX_SECRETS + AEAD_TAG_BYTES) throw corrupt('secrets too large')
  const file: KeystoreFile = {
    format: KEYSTORE_FORMAT,
    version: KEYSTORE_VERSION,
    kdf: { name: 'scrypt', N: kdf.N as number, r: kdf.r as number, p: kdf.p as number, salt: kdf.salt },
    dbKey: { nonce: dbKey.nonce, ct: dbKey.ct },
    secrets: { names: names as string[], nonce: secrets.nonce, ct: secrets.ct },
    checksum
  }
  if (checksumOf(file) !== checksum) throw corrupt('checksum mismatch (file damaged)')
  return file
}

function checkKdf (k: KdfParams, E: new (message: string) => Error): KdfParams {
  const int = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) > 0
  if (!int(k.N) || !int(k.r) || !int(k.p)) throw new E('kdf: N, r and p must be positive integers')
  const logN = Math.log2(k.N)
  if (!Number.isInteger(logN) || logN < KDF_LIMITS.minLogN || logN > KDF_LIMITS.maxLogN) {
    throw new E(`kdf: N must be a power of two in 2^${KDF_LIMITS.minLogN}..2^${KDF_LIMITS.maxLogN}`)
  }
  if (k.r > KDF_LIMITS.maxR || k.p > KDF_LIMITS.maxP || 128 * k.N * k.r > KDF_LIMITS.maxMemBytes) {
    throw new E('kdf: r, p or memory over the limit')
  }
  return { N: k.N, r: k.r, p: k.p }
}

function checkSecrets (secrets: Record<string, Uint8Array>): string[] {
  if (typeof secrets !== 'object' || secrets === null) throw new InvalidArgumentError('secrets: expected an object')
  const names = Object.keys(secrets).sort()
  if (names.length > MAX_SECRETS) throw new InvalidArgumentError(`secrets: more than ${MAX_SECRETS}`)
  let total = 0
  for (const n of names) {
    if (n.length > MAX_SECRET_NAME || !NAME_RE.test(n)) throw new InvalidArgumentError(`secret name ${JSON.stringify(n)}: expected [A-Za-z0-9._-]{1,${MAX_SECRET_NAME}}`)
    if (!(secrets[n] instanceof Uint8Array)) throw new InvalidArgumentError(`secret ${n}: expected Uint8Array`)
    total += secrets[n].length
  }
  if (total > MAX_SECRETS_BYTES) throw new InvalidArgumentError('secrets: too large')
  return names
}

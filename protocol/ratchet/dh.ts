/**
 * The ratchet's X25519 on node:crypto KeyObjects (the hot path: shared/STACK-NOTES.md).
 * - Key generation keeps the private KeyObject and reads the raw public key OpenSSL derived on import
 *   (protocol/crypto/okp.ts `rawPublicOf`: a JWK export of the public KeyObject, no second scalar multiplication;
 *   okp.ts records why this is not the Node 20.20 JWK deadlock).
 * - Importing a private key costs a scalar multiplication (OpenSSL derives its public key). States are stored
 *   serialised between operations, so a small cache keeps the KeyObject of each ratchet key pair this process
 *   generated, keyed by its public key and checked against the secret, until the ratchet replaces that key pair
 *   (`retireKeyPair`) or it ages out. It holds no key that the latest state of its session does not hold, so it does
 *   not lengthen any key's life beyond forward secrecy's needs (PROTOCOL.md §6.9).
 * Secrets come from the caller's Rng.
 */
import { diffieHellman, timingSafeEqual, type KeyObject } from 'node:crypto'
import { InvalidArgumentError, InvalidPublicKeyError } from '../errors.js'
import { importPrivate, importPublic, rawPublicOf } from '../crypto/okp.js'
import type { Rng, X25519KeyPair } from '../crypto/index.js'

/** Private KeyObjects cached (one per live session's current ratchet key pair). Implementation only. */
const PRIVATE_KEY_CACHE_ENTRIES = 256
/** Peer public KeyObjects cached (imported at decrypt, used again at the next encrypt). Implementation only. */
const PUBLIC_KEY_CACHE_ENTRIES = 256

interface CachedPrivate { secret: Uint8Array, key: KeyObject }
const privateKeys = new Map<string, CachedPrivate>()
const publicKeys = new Map<string, KeyObject>()

const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

export interface LiveKeyPair extends X25519KeyPair {
  key: KeyObject
}

export function generateRatchetKeyPair (rng: Rng): LiveKeyPair {
  const secretKey = rng(32)
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32) throw new InvalidArgumentError('rng: expected 32 bytes')
  const key = importPrivate('X25519', secretKey)
  const publicKey = rawPublicOf(key)
  const id = hexOf(publicKey)
  if (privateKeys.size >= PRIVATE_KEY_CACHE_ENTRIES) evictPrivate(privateKeys.keys().next().value as string)
  privateKeys.set(id, { secret: secretKey.slice(), key })
  return { secretKey, publicKey, key }
}

/** Forgets the cached KeyObject of a key pair the ratchet no longer uses. */
export function retireKeyPair (kp: X25519KeyPair): void {
  evictPrivate(hexOf(kp.publicKey))
}

function evictPrivate (id: string): void {
  const c = privateKeys.get(id)
  if (c === undefined) return
  c.secret.fill(0)
  privateKeys.delete(id)
}

function privateKeyOf (kp: X25519KeyPair): KeyObject {
  const c = privateKeys.get(hexOf(kp.publicKey))
  if (c !== undefined && kp.secretKey.length === 32 && timingSafeEqual(c.secret, kp.secretKey)) return c.key
  return importPrivate('X25519', kp.secretKey)
}

function publicKeyOf (pub: Uint8Array): KeyObject {
  const id = hexOf(pub)
  let k = publicKeys.get(id)
  if (k === undefined) {
    k = importPublic('X25519', pub)
    if (publicKeys.size >= PUBLIC_KEY_CACHE_ENTRIES) publicKeys.delete(publicKeys.keys().next().value as string)
    publicKeys.set(id, k)
  }
  return k
}

/** X25519(own, public) with RFC 7748 §6.1's all-zero check; a bad public key throws InvalidPublicKeyError. */
export function dh (own: X25519KeyPair | LiveKeyPair, publicKey: Uint8Array): Uint8Array {
  let out: Buffer
  try {
    const privateKey = 'key' in own ? own.key : privateKeyOf(own)
    out = diffieHellman({ privateKey, publicKey: publicKeyOf(publicKey) })
  } catch {
    throw new InvalidPublicKeyError('ratchet: invalid public key')
  }
  let acc = 0
  for (let i = 0; i < out.length; i++) acc |= out[i]
  if (acc === 0) throw new InvalidPublicKeyError('ratchet: zero shared secret')
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}

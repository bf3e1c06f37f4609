/**
 * The encrypted value format of the store, and the subkeys derived from the database key. Owns only the bytes of a
 * stored value; the key layout is keys.ts, the record shapes belong to their owners (contacts, sessions, ...).
 *
 *   value = version (1 byte, STORE_VALUE_VERSION) || nonce (12 random bytes) || AES-256-GCM(valueKey, plaintext, AD)
 *   AD    = "tern-store" || 0x00 || version || 0x00 || key (ASCII)
 *   valueKey = HKDF-SHA256(dbKey, salt = "", info = "tern-store/v1/value-key", 32)
 *   blindKey = HKDF-SHA256(dbKey, salt = "", info = "tern-store/v1/blind-index", 32)
 * The AD binds the value to its key: a value copied or swapped to another key fails authentication. Random 96-bit
 * nonces stay within NIST SP 800-38D §8.3's 2^32 invocations per key for any realistic message store.
 * Not detected (documented limits): deleting an entry, and rolling one key back to an older value of the SAME key.
 */
import { createCipheriv } from 'node:crypto'
import { aeadOpen, hkdf, hmacSha256, utf8, concat, toBase64url, AEAD_NONCE_BYTES, AEAD_TAG_BYTES, type Rng } from '../../protocol/crypto/index.js'
import { CorruptStoreError } from '../errors.js'

/** First byte of every stored value. */
export const STORE_VALUE_VERSION = 1
/** Bytes a value grows by when sealed: version + nonce + tag. */
export const VALUE_OVERHEAD = 1 + AEAD_NONCE_BYTES + AEAD_TAG_BYTES
/** Largest plaintext value, bytes. */
export const MAX_VALUE_BYTES = 16 * 1024 * 1024
/** Store schema version recorded (encrypted) under meta/check. */
export const STORE_SCHEMA_VERSION = 1

const EMPTY = new Uint8Array(0)

export function deriveValueKey (dbKey: Uint8Array): Uint8Array {
  return hkdf(dbKey, EMPTY, utf8('tern-store/v1/value-key'), 32)
}

export function deriveBlindKey (dbKey: Uint8Array): Uint8Array {
  return hkdf(dbKey, EMPTY, utf8('tern-store/v1/blind-index'), 32)
}

/** The AD's fixed head: "tern-store" || 0x00 || version || 0x00. */
const AD_HEAD = concat(utf8('tern-store'), new Uint8Array([0, STORE_VALUE_VERSION, 0]))

/** AD_HEAD || key. Keys are printable ASCII (keys.ts), so latin1 is their UTF-8. */
function adFor (key: string): Uint8Array {
  const ad = Buffer.allocUnsafe(AD_HEAD.length + key.length)
  ad.set(AD_HEAD, 0)
  ad.write(key, AD_HEAD.length, 'latin1')
  return ad
}

/**
 * version || nonce || AES-256-GCM(plaintext) || tag, written into one buffer: a store write seals every value it
 * holds (7-8 per message), so the copies of the generic aeadSeal + concat showed up in profiles. Same bytes.
 */
export function sealValue (valueKey: Uint8Array, key: string, plaintext: Uint8Array, rng: Rng): Uint8Array {
  const nonce = rng(AEAD_NONCE_BYTES)
  const c = createCipheriv('aes-256-gcm', valueKey, nonce, { authTagLength: AEAD_TAG_BYTES })
  c.setAAD(adFor(key))
  const head = c.update(plaintext)
  const tail = c.final()
  const out = new Uint8Array(1 + AEAD_NONCE_BYTES + head.length + tail.length + AEAD_TAG_BYTES)
  out[0] = STORE_VALUE_VERSION
  out.set(nonce, 1)
  out.set(head, 1 + AEAD_NONCE_BYTES)
  out.set(tail, 1 + AEAD_NONCE_BYTES + head.length)
  out.set(c.getAuthTag(), 1 + AEAD_NONCE_BYTES + head.length + tail.length)
  return out
}

/** Opens a stored value; CorruptStoreError naming `key` if it is too short, of an unknown version or forged. */
export function openValue (valueKey: Uint8Array, key: string, sealed: Uint8Array): Uint8Array {
  if (sealed.length < VALUE_OVERHEAD) throw new CorruptStoreError(`store value of ${key}: too short`, key)
  if (sealed[0] !== STORE_VALUE_VERSION) throw new CorruptStoreError(`store value of ${key}: unknown version ${sealed[0]}`, key)
  try {
    return aeadOpen(valueKey, sealed.subarray(1, 1 + AEAD_NONCE_BYTES), sealed.subarray(1 + AEAD_NONCE_BYTES), adFor(key))
  } catch {
    throw new CorruptStoreError(`store value of ${key}: authentication failed`, key)
  }
}

/**
 * A blinded index id: base64url(HMAC-SHA256(blindKey, label || 0x00 || value))[:22] (128 bits). Deterministic for
 * a given database, so it can key an index (e.g. peer id → contact) without putting the value in clear.
 */
export function blindId (blindKey: Uint8Array, label: string, value: string | Uint8Array): string {
  const v = typeof value === 'string' ? utf8(value) : value
  return toBase64url(hmacSha256(blindKey, utf8(label), new Uint8Array([0]), v).subarray(0, 16))
}

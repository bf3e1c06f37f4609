/**
 * The encrypted value format of the store, and the subkeys derived from the database key. Owns only the bytes of a
 * stored value; the key layout is keys.ts, the record shapes belong to their owners (contacts, sessions, ...).
 *
 *   value    = 0x02 || nonce (24 random bytes) || XChaCha20-Poly1305(valueKey, plaintext, AD)      (written)
 *   value v1 = 0x01 || nonce (12 random bytes) || AES-256-GCM(valueKey, plaintext, AD)            (still read)
 *   AD       = "tern-store" || 0x00 || version || 0x00 || key (ASCII)
 *   valueKey = HKDF-SHA256(dbKey, salt = "", info = "tern-store/v1/value-key", 32)
 *   blindKey = HKDF-SHA256(dbKey, salt = "", info = "tern-store/v1/blind-index", 32)
 * The AD binds the value to its key (and its version): a value copied or swapped to another key fails
 * authentication. Random 192-bit nonces never collide in practice, however many values one key seals.
 * Why version 2: every store write seals each value it holds (7-8 per message) and node:crypto builds a cipher
 * object per call (OpenSSL 3 fetches the algorithm each time); profiles of the daemon put the v1 seal at ~110 µs of
 * the event loop per message, libsodium's XChaCha20-Poly1305 takes 1-2 µs a value. Values written as v1 stay
 * readable and are rewritten as v2 whenever their record changes.
 * Not detected (documented limits): deleting an entry, and rolling one key back to an older value of the SAME key.
 */
import sodium from 'sodium-native'
import { aeadOpen, hkdf, hmacSha256, utf8, concat, toBase64url, AEAD_NONCE_BYTES, AEAD_TAG_BYTES, type Rng } from '../../protocol/crypto/index.js'
import { CorruptStoreError } from '../errors.js'

/** First byte of every value written now (XChaCha20-Poly1305). */
export const STORE_VALUE_VERSION = 2
/** First byte of the values of the first format (AES-256-GCM), still read. */
export const STORE_VALUE_VERSION_V1 = 1
/** XChaCha20-Poly1305 nonce and tag lengths, bytes. */
const XNONCE_BYTES = 24
const XTAG_BYTES = 16
/** Bytes a value grows by when sealed: version + nonce + tag. */
export const VALUE_OVERHEAD = 1 + XNONCE_BYTES + XTAG_BYTES
const VALUE_OVERHEAD_V1 = 1 + AEAD_NONCE_BYTES + AEAD_TAG_BYTES
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

/** The AD's fixed heads: "tern-store" || 0x00 || version || 0x00. */
const AD_HEAD = concat(utf8('tern-store'), new Uint8Array([0, STORE_VALUE_VERSION, 0]))
const AD_HEAD_V1 = concat(utf8('tern-store'), new Uint8Array([0, STORE_VALUE_VERSION_V1, 0]))

/** head || key. Keys are printable ASCII (keys.ts), so latin1 is their UTF-8. */
function adFor (head: Uint8Array, key: string): Uint8Array {
  const ad = Buffer.allocUnsafe(head.length + key.length)
  ad.set(head, 0)
  ad.write(key, head.length, 'latin1')
  return ad
}

/** 0x02 || nonce || XChaCha20-Poly1305(plaintext) || tag, in one buffer (the nonce from `rng`). */
export function sealValue (valueKey: Uint8Array, key: string, plaintext: Uint8Array, rng: Rng): Uint8Array {
  const out = new Uint8Array(VALUE_OVERHEAD + plaintext.length)
  out[0] = STORE_VALUE_VERSION
  const nonce = out.subarray(1, 1 + XNONCE_BYTES)
  nonce.set(rng(XNONCE_BYTES))
  sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(out.subarray(1 + XNONCE_BYTES), plaintext, adFor(AD_HEAD, key), null, nonce, valueKey)
  return out
}

/** Opens a stored value (either version); CorruptStoreError naming `key` if too short, of an unknown version or forged. */
export function openValue (valueKey: Uint8Array, key: string, sealed: Uint8Array): Uint8Array {
  const version = sealed[0]
  if (version === STORE_VALUE_VERSION) {
    if (sealed.length < VALUE_OVERHEAD) throw new CorruptStoreError(`store value of ${key}: too short`, key)
    const out = new Uint8Array(sealed.length - VALUE_OVERHEAD)
    try {
      sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(out, null, sealed.subarray(1 + XNONCE_BYTES), adFor(AD_HEAD, key),
        sealed.subarray(1, 1 + XNONCE_BYTES), valueKey)
    } catch {
      throw new CorruptStoreError(`store value of ${key}: authentication failed`, key)
    }
    return out
  }
  if (version === STORE_VALUE_VERSION_V1) {
    if (sealed.length < VALUE_OVERHEAD_V1) throw new CorruptStoreError(`store value of ${key}: too short`, key)
    try {
      return aeadOpen(valueKey, sealed.subarray(1, 1 + AEAD_NONCE_BYTES), sealed.subarray(1 + AEAD_NONCE_BYTES), adFor(AD_HEAD_V1, key))
    } catch {
      throw new CorruptStoreError(`store value of ${key}: authentication failed`, key)
    }
  }
  if (sealed.length === 0) throw new CorruptStoreError(`store value of ${key}: too short`, key)
  throw new CorruptStoreError(`store value of ${key}: unknown version ${String(version)}`, key)
}

/**
 * A blinded index id: base64url(HMAC-SHA256(blindKey, label || 0x00 || value))[:22] (128 bits). Deterministic for
 * a given database, so it can key an index (e.g. peer id → contact) without putting the value in clear.
 */
export function blindId (blindKey: Uint8Array, label: string, value: string | Uint8Array): string {
  const v = typeof value === 'string' ? utf8(value) : value
  return toBase64url(hmacSha256(blindKey, utf8(label), new Uint8Array([0]), v).subarray(0, 16))
}

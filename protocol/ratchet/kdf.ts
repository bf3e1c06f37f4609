/**
 * The ratchet's key derivations (PROTOCOL.md §6.2, §6.3): KDF_RK (HKDF-SHA256 keyed by the root key), KDF_CK (the
 * Signal HMAC construction) and the message-key expansion, on protocol/crypto's HMAC and HKDF.
 * Owns no state; knows nothing about headers or sessions.
 */
import { abytes, hkdf, hmacSha256, utf8 } from '../crypto/index.js'
import { InvalidArgumentError } from '../errors.js'
import { MESSAGE_KEYS_BYTES, MESSAGE_KEYS_INFO, RATCHET_KEY_BYTES, ROOT_INFO, ROOT_KDF_BYTES } from './constants.js'

const ROOT_INFO_BYTES = utf8(ROOT_INFO)
const MESSAGE_KEYS_INFO_BYTES = utf8(MESSAGE_KEYS_INFO)
const ZERO_SALT = new Uint8Array(32)
const MESSAGE_KEY_CONSTANT = Uint8Array.of(0x01)
const CHAIN_KEY_CONSTANT = Uint8Array.of(0x02)

export interface RootStep {
  rootKey: Uint8Array
  chainKey: Uint8Array
  nextHeaderKey: Uint8Array
}

/**
 * KDF_RK(rk, dh_out) = HKDF(ikm = dh_out, salt = rk, info = "Tern/v1/Ratchet/Root", L = 96)
 * → new root key (32) | chain key (32) | next header key (32). §6.2 (Signal spec §4.2 KDF_RK_HE)
 */
export function kdfRoot (rootKey: Uint8Array, dhOutput: Uint8Array): RootStep {
  abytes(rootKey, RATCHET_KEY_BYTES, 'root key'); abytes(dhOutput, 32, 'dh output')
  const okm = hkdf(dhOutput, rootKey, ROOT_INFO_BYTES, ROOT_KDF_BYTES)
  // three separate buffers, so that wiping or dropping one (the chain key) never leaves it alive behind another
  const out = { rootKey: okm.slice(0, 32), chainKey: okm.slice(32, 64), nextHeaderKey: okm.slice(64, 96) }
  okm.fill(0)
  return out
}

export interface ChainStep {
  /** The message-key seed (Signal's MK): HMAC(ck, 0x01). */
  messageKey: Uint8Array
  /** The next chain key: HMAC(ck, 0x02). */
  chainKey: Uint8Array
}

/** KDF_CK(ck): message-key seed = HMAC-SHA256(ck, 0x01), next chain key = HMAC-SHA256(ck, 0x02). §6.3 */
export function kdfChain (chainKey: Uint8Array): ChainStep {
  abytes(chainKey, RATCHET_KEY_BYTES, 'chain key')
  return {
    messageKey: hmacSha256(chainKey, MESSAGE_KEY_CONSTANT),
    chainKey: hmacSha256(chainKey, CHAIN_KEY_CONSTANT)
  }
}

/**
 * Message-key expansion: HKDF(ikm = seed, salt = 32 zero bytes, info = label, L = length). Tern uses
 * label "Tern/v1/Ratchet/MessageKeys", L = 44; with "WhisperMessageKeys", L = 80 it is libsignal's. §6.3
 */
export function messageKeyMaterial (seed: Uint8Array, info: Uint8Array | string, length: number): Uint8Array {
  abytes(seed, undefined, 'message key seed')
  const label = typeof info === 'string' ? utf8(info) : info
  if (!Number.isInteger(length) || length < 1 || length > 255 * 32) throw new InvalidArgumentError('hkdf: bad length')
  return hkdf(seed, ZERO_SALT, label, length)
}

export interface MessageKeys {
  /** AES-256-GCM key. */
  key: Uint8Array
  /** AES-GCM nonce: deterministic, safe because every message key encrypts exactly one message. */
  nonce: Uint8Array
  /** The 44-byte buffer both views share: wipe this one. */
  material: Uint8Array
}

/** Tern's message keys from a message-key seed: key (32) || nonce (12). §6.3 */
export function messageKeys (seed: Uint8Array): MessageKeys {
  abytes(seed, RATCHET_KEY_BYTES, 'message key seed')
  const material = hkdf(seed, ZERO_SALT, MESSAGE_KEYS_INFO_BYTES, MESSAGE_KEYS_BYTES)
  return { key: material.subarray(0, 32), nonce: material.subarray(32, 44), material }
}

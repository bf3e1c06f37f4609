/**
 * The part of sodium-native (libsodium bindings, MIT) that protocol/crypto calls. Typed here rather than through
 * @types/sodium-native, whose 2.x declarations describe an older API. Every function writes into its first argument
 * and throws on failure (e.g. crypto_scalarmult on a small-order public key).
 */
declare module 'sodium-native' {
  interface Sodium {
    crypto_scalarmult_base: (q: Uint8Array, n: Uint8Array) => void
    crypto_scalarmult: (q: Uint8Array, n: Uint8Array, p: Uint8Array) => void
    crypto_hash_sha256: (out: Uint8Array, input: Uint8Array) => void
    randombytes_buf: (buf: Uint8Array) => void
    crypto_sign_seed_keypair: (pk: Uint8Array, sk: Uint8Array, seed: Uint8Array) => void
    crypto_sign_detached: (sig: Uint8Array, m: Uint8Array, sk: Uint8Array) => void
    /** true when the signature verifies (this one returns instead of throwing) */
    crypto_sign_verify_detached: (sig: Uint8Array, m: Uint8Array, pk: Uint8Array) => boolean
  }
  const sodium: Sodium
  export default sodium
}

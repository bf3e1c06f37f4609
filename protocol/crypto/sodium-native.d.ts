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
  }
  const sodium: Sodium
  export default sodium
}

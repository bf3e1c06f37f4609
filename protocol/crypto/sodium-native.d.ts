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
    /** BLAKE2b; output 16-64 bytes */
    crypto_generichash_batch: (out: Uint8Array, inputs: Uint8Array[], key?: Uint8Array) => void
    /** c = ciphertext || tag, c.length = m.length + 16; nsec is always null */
    crypto_aead_chacha20poly1305_ietf_encrypt: (c: Uint8Array, m: Uint8Array, ad: Uint8Array | null, nsec: null, npub: Uint8Array, k: Uint8Array) => number
    crypto_aead_xchacha20poly1305_ietf_encrypt: (c: Uint8Array, m: Uint8Array, ad: Uint8Array | null, nsec: null, npub: Uint8Array, k: Uint8Array) => number
    crypto_aead_xchacha20poly1305_ietf_decrypt: (m: Uint8Array, nsec: null, c: Uint8Array, ad: Uint8Array | null, npub: Uint8Array, k: Uint8Array) => number
    /** m.length = c.length - 16; throws when the tag does not verify */
    crypto_aead_chacha20poly1305_ietf_decrypt: (m: Uint8Array, nsec: null, c: Uint8Array, ad: Uint8Array | null, npub: Uint8Array, k: Uint8Array) => number
    crypto_sign_seed_keypair: (pk: Uint8Array, sk: Uint8Array, seed: Uint8Array) => void
    crypto_sign_detached: (sig: Uint8Array, m: Uint8Array, sk: Uint8Array) => void
    /** true when the signature verifies (this one returns instead of throwing) */
    crypto_sign_verify_detached: (sig: Uint8Array, m: Uint8Array, pk: Uint8Array) => boolean
  }
  const sodium: Sodium
  export default sodium
}

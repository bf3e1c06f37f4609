/**
 * The primitives of libp2p's Noise channel (Noise_XX_25519_ChaChaPoly_SHA256, PROTOCOL.md §3) on libsodium, for
 * @chainsafe/libp2p-noise's `crypto` option (its ICryptoInterface, matched structurally here so that protocol/ needs
 * no libp2p import). The same bytes as the package's default; what changes is the cost of the transport AEAD that
 * every frame of every connection pays. The default seals frames under 1,200 bytes (every chat message, ack and
 * window update) with a WebAssembly ChaCha20-Poly1305, which profiles of the node daemon showed at 50-100 µs of the
 * event loop per message; libsodium takes 1-2 µs, and no WebAssembly instance (~1 MB) is kept per process.
 * X25519 and HKDF are Tern's own (x25519.ts, kdf.ts), so a small-order public key from a peer fails the handshake.
 */
import sodium from 'sodium-native'
import { x25519, x25519PublicKey } from './x25519.js'
import { hkdf, sha256 } from './kdf.js'
import { systemRng } from './random.js'
import { AuthenticationError } from '../errors.js'

/** ChaCha20-Poly1305 tag length in bytes. */
const TAG_BYTES = 16
const EMPTY = new Uint8Array(0)

/** Uint8Array or uint8arraylist's Uint8ArrayList: both have subarray() (the list's copies it into one buffer). */
interface Bytes { subarray: () => Uint8Array, byteLength: number }

export interface NoiseCrypto {
  hashSHA256: (data: Bytes) => Uint8Array
  getHKDF: (ck: Uint8Array, ikm: Uint8Array) => [Uint8Array, Uint8Array, Uint8Array]
  generateX25519KeyPair: () => { publicKey: Uint8Array, privateKey: Uint8Array }
  generateX25519KeyPairFromSeed: (seed: Uint8Array) => { publicKey: Uint8Array, privateKey: Uint8Array }
  generateX25519SharedKey: (privateKey: Bytes, publicKey: Bytes) => Uint8Array
  chaCha20Poly1305Encrypt: (plaintext: Bytes, nonce: Uint8Array, ad: Uint8Array, k: Uint8Array) => Uint8Array
  chaCha20Poly1305Decrypt: (ciphertext: Bytes, nonce: Uint8Array, ad: Uint8Array, k: Uint8Array, dst?: Uint8Array) => Uint8Array
}

export const noiseCrypto: NoiseCrypto = {
  hashSHA256: (data) => sha256(data.subarray()),
  // Noise's HKDF(ck, ikm): RFC 5869 with salt = ck and empty info, three 32-byte outputs
  getHKDF: (ck, ikm) => {
    const okm = hkdf(ikm, ck, EMPTY, 96)
    return [okm.subarray(0, 32), okm.subarray(32, 64), okm.subarray(64, 96)]
  },
  generateX25519KeyPair: () => {
    const privateKey = systemRng(32)
    return { publicKey: x25519PublicKey(privateKey), privateKey }
  },
  generateX25519KeyPairFromSeed: (seed) => ({ publicKey: x25519PublicKey(seed), privateKey: seed }),
  generateX25519SharedKey: (privateKey, publicKey) => x25519(privateKey.subarray(), publicKey.subarray()),
  chaCha20Poly1305Encrypt: (plaintext, nonce, ad, k) => {
    const m = plaintext.subarray()
    const c = new Uint8Array(m.length + TAG_BYTES)
    sodium.crypto_aead_chacha20poly1305_ietf_encrypt(c, m, ad, null, nonce, k)
    return c
  },
  /** `dst` (the package decrypts in place: dst is the ciphertext's own bytes) must be ciphertext length - 16. */
  chaCha20Poly1305Decrypt: (ciphertext, nonce, ad, k, dst) => {
    const c = ciphertext.subarray()
    if (c.length < TAG_BYTES) throw new AuthenticationError('noise: ciphertext shorter than its tag')
    const m = dst !== undefined && dst.length === c.length - TAG_BYTES ? dst : new Uint8Array(c.length - TAG_BYTES)
    try {
      sodium.crypto_aead_chacha20poly1305_ietf_decrypt(m, null, c, ad, nonce, k)
    } catch {
      throw new AuthenticationError('noise: ChaCha20-Poly1305 authentication failed')
    }
    return m
  }
}

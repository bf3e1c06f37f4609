/**
 * Cross-checks Tern's wrappers (node:crypto, libsodium) against @noble, the independent reference, on random inputs.
 */
import t from 'tap'
import fc from 'fast-check'
import { x25519 as nx, ed25519 as ned } from '@noble/curves/ed25519.js'
import { hkdf as nhkdf } from '@noble/hashes/hkdf.js'
import { hmac as nhmac } from '@noble/hashes/hmac.js'
import { sha256 as nsha256 } from '@noble/hashes/sha2.js'
import { gcm } from '@noble/ciphers/aes.js'
import {
  x25519, x25519PublicKey, ed25519PublicKey, ed25519Sign, ed25519Verify, hkdf, hmacSha256, aeadSeal, aeadOpen,
  toHex, seededRng, equal
} from '../protocol/crypto/index.js'

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 })

t.test('X25519 public keys and shared secrets match noble', async t => {
  fc.assert(fc.property(key32, key32, (a, b) => {
    const A = x25519PublicKey(a); const B = x25519PublicKey(b)
    return toHex(A) === toHex(nx.getPublicKey(a)) && toHex(x25519(a, B)) === toHex(nx.getSharedSecret(a, B))
  }), { numRuns: 200 })
  t.pass('200 random pairs')
})

t.test('Ed25519 signatures match noble and verify both ways', async t => {
  fc.assert(fc.property(key32, fc.uint8Array({ maxLength: 300 }), (sk, msg) => {
    const pk = ed25519PublicKey(sk)
    const sig = ed25519Sign(sk, msg)
    return toHex(pk) === toHex(ned.getPublicKey(sk)) && toHex(sig) === toHex(ned.sign(msg, sk)) &&
      ed25519Verify(pk, msg, sig) && ned.verify(sig, msg, pk, { zip215: false })
  }), { numRuns: 200 })
  t.notOk(ed25519Verify(new Uint8Array(31), new Uint8Array(1), new Uint8Array(64)), 'short key is false, not a throw')
  t.notOk(ed25519Verify(new Uint8Array(32), new Uint8Array(1), new Uint8Array(63)), 'short signature is false, not a throw')
})

t.test('HKDF, HMAC and AES-256-GCM match noble', async t => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }),
    fc.integer({ min: 1, max: 200 }), (ikm, salt, info, len) =>
      toHex(hkdf(ikm, salt, info, len)) === toHex(nhkdf(nsha256, ikm, salt, info, len)) &&
      toHex(hmacSha256(salt.length > 0 ? salt : new Uint8Array(1), ikm)) === toHex(nhmac(nsha256, salt.length > 0 ? salt : new Uint8Array(1), ikm))
  ), { numRuns: 300 })
  const rng = seededRng('aead')
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), fc.uint8Array({ maxLength: 64 }), (pt, ad) => {
    const k = rng(32); const n = rng(12)
    const sealed = aeadSeal(k, n, pt, ad)
    return toHex(sealed) === toHex(gcm(k, n, ad).encrypt(pt)) && equal(aeadOpen(k, n, sealed, ad), pt)
  }), { numRuns: 300 })
  t.pass('300 random cases each')
})

t.test('HMAC on libsodium SHA-256: every key length, split messages, inputs past the scratch buffer, calls interleaved', async t => {
  // keys up to 3 blocks (a key longer than 64 bytes is hashed first), messages past the 512-byte scratch, 0-6 parts
  const parts = fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 })
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), parts, fc.uint8Array({ maxLength: 80 }), (key, data, other) => {
    const joined = new Uint8Array(data.reduce((n, d) => n + d.length, 0))
    let o = 0
    for (const d of data) { joined.set(d, o); o += d.length }
    const first = hmacSha256(key, ...data)
    const second = hmacSha256(other, joined) // the shared scratch must carry nothing from one call to the next
    return toHex(first) === toHex(nhmac(nsha256, key, joined)) && toHex(second) === toHex(nhmac(nsha256, other, joined)) &&
      toHex(hmacSha256(key, ...data)) === toHex(first)
  }), { numRuns: 500 })
  t.equal(toHex(hmacSha256(new Uint8Array(0))), toHex(nhmac(nsha256, new Uint8Array(0), new Uint8Array(0))), 'empty key, no data')
  t.throws(() => hmacSha256(new Uint8Array(32), 'text' as unknown as Uint8Array), { code: 'ERR_INVALID_ARGUMENT' }, 'non-bytes data is a typed error')
  t.equal(toHex(hkdf(new Uint8Array(10), new Uint8Array(100), new Uint8Array(600), 255 * 32)),
    toHex(nhkdf(nsha256, new Uint8Array(10), new Uint8Array(100), new Uint8Array(600), 255 * 32)), 'long salt, long info, longest output')
})

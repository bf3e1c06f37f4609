/**
 * Cross-checks Tern's node:crypto wrappers against @noble, the independent reference, on random inputs.
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

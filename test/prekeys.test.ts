/** Prekeys and bundles (PROTOCOL.md §3): generation, codec round trip, fixed rejection order, tampering. */
import t from 'tap'
import fc from 'fast-check'
import { ed25519 } from '@noble/curves/ed25519.js'
import { x25519 as nobleX } from '@noble/curves/ed25519.js'
import { TernError } from '../protocol/errors.js'
import { seededRng } from '../protocol/crypto/index.js'
import { generateIdentity } from '../protocol/identity/index.js'
import {
  BUNDLE_BYTES, createBundle, decodeBundle, encodeBundle, generatePqPreKey, generateSignedPreKey, type PreKeyBundle
} from '../protocol/prekeys/index.js'

const enc = new TextEncoder()
const be32 = (n: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n); return b }
const cat = (...p: Uint8Array[]): Uint8Array => Buffer.concat(p)

const rng = seededRng('prekeys')
const identity = generateIdentity(rng)
const spk = generateSignedPreKey(identity, 7, rng)
const pq = generatePqPreKey(identity, 0xfffffffe, rng)
const bundle = createBundle({ identity, signedPreKey: spk, pqPreKey: pq, createdAt: 1_700_000_000_123 })
const bytes = encodeBundle(bundle)

const same = (a: PreKeyBundle, b: PreKeyBundle): boolean => Buffer.from(encodeBundle(a)).equals(Buffer.from(encodeBundle(b)))

t.test('signatures are over the documented messages (recomputed with noble)', async (t) => {
  t.same(Buffer.from(nobleX.getPublicKey(spk.keyPair.secretKey)), Buffer.from(spk.keyPair.publicKey))
  t.ok(ed25519.verify(spk.signature, cat(enc.encode('Tern/v1/SignedPreKey'), be32(7), spk.keyPair.publicKey), identity.signing.publicKey, { zip215: false }))
  t.ok(ed25519.verify(pq.signature, cat(enc.encode('Tern/v1/SignedPqPreKey'), be32(0xfffffffe), pq.keyPair.publicKey), identity.signing.publicKey, { zip215: false }))
  t.equal(pq.keyPair.publicKey.length, 1184)
})

t.test('bundle round trip at the fixed size', async (t) => {
  t.equal(bytes.length, BUNDLE_BYTES)
  t.equal(bytes[0], 1)
  const back = decodeBundle(bytes)
  t.ok(same(back, bundle))
  t.equal(back.createdAt, 1_700_000_000_123)
  t.equal(back.signedPreKey.id, 7)
  t.equal(back.pqPreKey.id, 0xfffffffe)
})

t.test('property: ids and createdAt round-trip', async (t) => {
  fc.assert(fc.property(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.nat({ max: Number.MAX_SAFE_INTEGER }), (a, b, c) => {
    const x: PreKeyBundle = { ...bundle, createdAt: c, signedPreKey: { ...bundle.signedPreKey, id: a }, pqPreKey: { ...bundle.pqPreKey, id: b } }
    const y = decodeBundleUnverified(encodeBundle(x))
    return y.createdAt === c && y.signedPreKey.id === a && y.pqPreKey.id === b
  }), { numRuns: 200 })
})

function decodeBundleUnverified (b: Uint8Array): PreKeyBundle {
  try { return decodeBundle(b) } catch (e) {
    // ids changed, so the prekey signatures fail: the decode itself succeeded if that is the error
    if (e instanceof TernError && /SIGNATURE/.test(e.code)) {
      const v = new DataView(b.buffer, b.byteOffset)
      return { ...bundle, createdAt: Number(v.getBigUint64(129)), signedPreKey: { ...bundle.signedPreKey, id: v.getUint32(137) }, pqPreKey: { ...bundle.pqPreKey, id: v.getUint32(237) } }
    }
    throw e
  }
}

t.test('rejection order: truncated → version → malformed → signatures', async (t) => {
  t.throws(() => decodeBundle(new Uint8Array(0)), { code: 'ERR_BUNDLE_TRUNCATED' })
  t.throws(() => decodeBundle(bytes.subarray(0, 100)), { code: 'ERR_BUNDLE_TRUNCATED' })
  t.throws(() => decodeBundle(bytes.subarray(0, BUNDLE_BYTES - 1)), { code: 'ERR_BUNDLE_TRUNCATED' })
  const v2 = bytes.slice(); v2[0] = 2
  t.throws(() => decodeBundle(v2), { code: 'ERR_BUNDLE_VERSION' })
  t.throws(() => decodeBundle(v2.subarray(0, 10)), { code: 'ERR_BUNDLE_VERSION' }, 'version is checked before the length')
  t.throws(() => decodeBundle(cat(bytes, Uint8Array.of(0))), { code: 'ERR_BUNDLE_MALFORMED' })
  const big = bytes.slice(); big[129] = 0xff // createdAt > 2^53
  t.throws(() => decodeBundle(big), { code: 'ERR_BUNDLE_MALFORMED' })
})

t.test('tampering each region gives its own signature error', async (t) => {
  const flip = (i: number): Uint8Array => { const b = bytes.slice(); b[i]! ^= 1; return b }
  t.throws(() => decodeBundle(flip(40)), { code: 'ERR_IDENTITY_BINDING' }, 'agreement key')
  t.throws(() => decodeBundle(flip(70)), { code: 'ERR_IDENTITY_BINDING' }, 'identity signature')
  t.throws(() => decodeBundle(flip(150)), { code: 'ERR_SIGNED_PREKEY_SIGNATURE' }, 'spk public key')
  t.throws(() => decodeBundle(flip(140)), { code: 'ERR_SIGNED_PREKEY_SIGNATURE' }, 'spk id')
  t.throws(() => decodeBundle(flip(200)), { code: 'ERR_SIGNED_PREKEY_SIGNATURE' }, 'spk signature')
  t.throws(() => decodeBundle(flip(800)), { code: 'ERR_PQ_PREKEY_SIGNATURE' }, 'pq public key')
  t.throws(() => decodeBundle(flip(1480)), { code: 'ERR_PQ_PREKEY_SIGNATURE' }, 'pq signature')
  t.throws(() => decodeBundle(flip(5)), { code: 'ERR_IDENTITY_BINDING' }, 'signing key')
  const other = generateIdentity(seededRng('mallory'))
  const forged = { ...bundle, signedPreKey: { ...bundle.signedPreKey, signature: generateSignedPreKey(other, 7, seededRng('x')).signature } }
  t.throws(() => decodeBundle(encodeBundle(forged)), { code: 'ERR_SIGNED_PREKEY_SIGNATURE' })
})

t.test('any single bit flip is rejected with a typed error (sampled)', async (t) => {
  fc.assert(fc.property(fc.nat({ max: BUNDLE_BYTES * 8 - 1 }), (bit) => {
    const b = bytes.slice(); b[bit >> 3]! ^= 1 << (bit & 7)
    if (bit >= 129 * 8 && bit < 137 * 8) return true // createdAt is advisory (§3.3): not signed in a standalone bundle
    try { decodeBundle(b); return false } catch (e) { return e instanceof TernError }
  }), { numRuns: 400 })
})

t.test('generation validates its arguments', async (t) => {
  t.throws(() => generateSignedPreKey(identity, -1, rng), { code: 'ERR_INVALID_ARGUMENT' })
  t.throws(() => generatePqPreKey(identity, 2 ** 32, rng), { code: 'ERR_INVALID_ARGUMENT' })
  t.throws(() => createBundle({ identity, signedPreKey: spk, pqPreKey: pq, createdAt: -5 }), { code: 'ERR_INVALID_ARGUMENT' })
})

/** Identity (PROTOCOL.md §2): PeerId derivation cross-checked with libp2p, fingerprints, safety numbers, binding. */
import t from 'tap'
import fc from 'fast-check'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { base58btc } from 'multiformats/bases/base58'
import { sha256 as nobleSha256, sha512 as nobleSha512 } from '@noble/hashes/sha2.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { seededRng } from '../protocol/crypto/index.js'
import {
  base58btcEncode, fingerprint, formatFingerprint, formatSafetyNumber, generateIdentity, identityKeyFromPeerIdBytes,
  identityPublic, peerIdBytesFromIdentity, peerIdStringFromIdentity, safetyNumber, safetyNumberHalf,
  signIdentityBinding, verifyIdentityBinding, type IdentityPublic
} from '../protocol/identity/index.js'

const enc = new TextEncoder()
const cat = (...p: Uint8Array[]): Uint8Array => { const o = new Uint8Array(p.reduce((n, x) => n + x.length, 0)); let i = 0; for (const x of p) { o.set(x, i); i += x.length } return o }

t.test('PeerId bytes and string match @libp2p/peer-id for the Ed25519 identity key', async (t) => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
    const edPub = ed25519.getPublicKey(seed)
    const pid = peerIdFromPublicKey(publicKeyFromRaw(edPub))
    const bytes = peerIdBytesFromIdentity(edPub)
    t.same(Buffer.from(bytes), Buffer.from(pid.toMultihash().bytes))
    t.equal(peerIdStringFromIdentity(edPub), pid.toString())
    t.ok(pid.toString().startsWith('12D3KooW'))
    t.same(Buffer.from(identityKeyFromPeerIdBytes(bytes)), Buffer.from(edPub))
  }), { numRuns: 25 })
})

t.test('identityKeyFromPeerIdBytes rejects other PeerIds with ERR_INVALID_PEER_ID', async (t) => {
  const good = peerIdBytesFromIdentity(new Uint8Array(32).fill(7))
  t.throws(() => identityKeyFromPeerIdBytes(good.subarray(0, 37)), { code: 'ERR_INVALID_PEER_ID' })
  const bad = good.slice(); bad[3] = 0x00 // RSA key type
  t.throws(() => identityKeyFromPeerIdBytes(bad), { code: 'ERR_INVALID_PEER_ID' })
})

t.test('base58btc encoder matches multiformats, leading zeros included', async (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
    t.equal(base58btcEncode(b), base58btc.encode(b).slice(1))
  }), { numRuns: 300 })
  t.equal(base58btcEncode(Uint8Array.of(0, 0, 1)), '112')
})

t.test('fingerprint = SHA-256(label || ed || x), shown in 16 groups of 4 hex digits', async (t) => {
  const id = identityPublic(generateIdentity(seededRng('fp')))
  const fp = fingerprint(id)
  t.same(Buffer.from(fp), Buffer.from(nobleSha256(cat(enc.encode('Tern/v1/Fingerprint'), id.signingKey, id.agreementKey))))
  const shown = formatFingerprint(fp)
  t.match(shown, /^([0-9a-f]{4} ){15}[0-9a-f]{4}$/)
  const other = { ...id, agreementKey: id.agreementKey.slice() }; other.agreementKey[0]! ^= 1
  t.not(formatFingerprint(fingerprint(other)), shown, 'a different agreement key changes the fingerprint')
})

/** Independent recomputation of one 30-digit half with noble's SHA-512 (§2.4). */
function nobleHalf (id: IdentityPublic): string {
  const keys = cat(id.signingKey, id.agreementKey)
  let h = cat(Uint8Array.of(0, 0), keys, Uint8Array.of(0x00, 0x24, 0x08, 0x01, 0x12, 0x20), id.signingKey)
  for (let i = 0; i < 5200; i++) h = nobleSha512(cat(h, keys))
  let s = ''
  for (let c = 0; c < 6; c++) {
    const v = BigInt('0x' + Buffer.from(h.subarray(c * 5, c * 5 + 5)).toString('hex'))
    s += (v % 100000n).toString().padStart(5, '0')
  }
  return s
}

t.test('safety number: 60 digits, symmetric, independent recomputation, differs for different pairs', async (t) => {
  const a = identityPublic(generateIdentity(seededRng('alice')))
  const b = identityPublic(generateIdentity(seededRng('bob')))
  const c = identityPublic(generateIdentity(seededRng('carol')))
  const ab = safetyNumber(a, b)
  t.match(ab, /^\d{60}$/)
  t.equal(safetyNumber(b, a), ab, 'both sides compute the same number')
  t.equal(safetyNumberHalf(a), nobleHalf(a))
  const halves = [nobleHalf(a), nobleHalf(b)].sort()
  t.equal(ab, halves.join(''))
  t.not(safetyNumber(a, c), ab)
  t.not(safetyNumber(b, c), ab)
  const b2 = { ...b, agreementKey: b.agreementKey.slice() }; b2.agreementKey[31]! ^= 0x80
  t.not(safetyNumber(a, b2), ab, 'a changed agreement key changes the number')
  t.match(formatSafetyNumber(ab), /^(\d{5} ){11}\d{5}$/)
})

t.test('identity binding: the X25519 key is signed by the Ed25519 key', async (t) => {
  const kp = generateIdentity(seededRng('bind'))
  const id = identityPublic(kp)
  const sig = signIdentityBinding(kp)
  t.ok(ed25519.verify(sig, cat(enc.encode('Tern/v1/IdentityKey'), id.signingKey, id.agreementKey), id.signingKey))
  t.doesNotThrow(() => verifyIdentityBinding(id, sig))
  const swapped = { ...id, agreementKey: identityPublic(generateIdentity(seededRng('other'))).agreementKey }
  t.throws(() => verifyIdentityBinding(swapped, sig), { code: 'ERR_IDENTITY_BINDING' })
})

/** Invites (PROTOCOL.md §4): round trip, size budget, distinct typed errors, fuzzing, the invite tag. */
import t from 'tap'
import fc from 'fast-check'
import { multiaddr } from '@multiformats/multiaddr'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { TernError } from '../protocol/errors.js'
import { seededRng } from '../protocol/crypto/index.js'
import { generateIdentity, peerIdStringFromIdentity } from '../protocol/identity/index.js'
import {
  createInvite, decodeInvite, encodeInvite, inviteTag, inviteToUri, parseInvite, INVITE_FIXED_BYTES,
  MAX_INVITE_BYTES, MAX_RELAY_ADDR_BYTES, type Invite
} from '../protocol/invite/index.js'

const enc = new TextEncoder()
const NOW = 1_750_000_000_000
const EXP = NOW / 1000 + 7 * 24 * 3600

const rng = seededRng('invite')
const identity = generateIdentity(rng)
const relayPeer = peerIdStringFromIdentity(generateIdentity(rng).signing.publicKey)
const relayAddr = multiaddr(`/ip4/203.0.113.7/tcp/4001/p2p/${relayPeer}`).bytes
const mailbox = { queueId: rng(16), depositToken: rng(32) }
const made = createInvite({ identity, relayAddr, mailbox, expiresAt: EXP, rng })

const eqInvite = (a: Invite, b: Invite): boolean => Buffer.from(encodeInvite(a)).equals(Buffer.from(encodeInvite(b)))
const code = (f: () => unknown): string => { try { f(); return 'none' } catch (e) { return e instanceof TernError ? e.code : `untyped:${String(e)}` } }

t.test('round trip through the URI; the relay multiaddr survives as opaque bytes', async (t) => {
  t.ok(made.uri.startsWith('tern:'))
  const back = parseInvite(made.uri, NOW)
  t.ok(eqInvite(back, made.invite))
  t.equal(multiaddr(back.relayAddr).toString(), `/ip4/203.0.113.7/tcp/4001/p2p/${relayPeer}`)
  t.same(Buffer.from(made.record.tag), Buffer.from(inviteTag(back.secret)))
  t.equal(made.record.state, 'open')
  t.same(Buffer.from(made.record.inviteKeyPair.publicKey), Buffer.from(back.inviteKey))
  t.equal(inviteToUri(back), made.uri)
  t.ok(parseInvite(`  TERN:${made.uri.slice(5)}\n`, NOW), 'scheme is case-insensitive, whitespace trimmed')
})

t.test('the signature is Ed25519 over "Tern/v1/Invite" || everything before it', async (t) => {
  const b = made.bytes
  t.ok(ed25519.verify(b.subarray(b.length - 64), Buffer.concat([enc.encode('Tern/v1/Invite'), b.subarray(0, b.length - 64)]), identity.signing.publicKey, { zip215: false }))
})

t.test('inviteTag = first 16 bytes of HMAC-SHA256(secret, "Tern/v1/InviteTag")', async (t) => {
  const s = made.invite.secret
  t.same(Buffer.from(inviteTag(s)), Buffer.from(hmac(sha256, s, enc.encode('Tern/v1/InviteTag')).subarray(0, 16)))
})

t.test('property: decode(encode(x)) = x over every field range', async (t) => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 1, maxLength: MAX_RELAY_ADDR_BYTES }), fc.integer({ min: 1, max: 0xffffffff }),
    fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat(),
    (relay, exp, queueId, depositToken, seed) => {
      const m = createInvite({ identity, relayAddr: relay, mailbox: { queueId, depositToken }, expiresAt: exp, rng: seededRng(String(seed)) })
      const back = parseInvite(m.uri, 0)
      return eqInvite(back, m.invite) && back.expiresAt === exp && Buffer.from(back.relayAddr).equals(relay)
    }), { numRuns: 300 })
})

t.test('at maximal field sizes the invite is ≤ 512 bytes', async (t) => {
  const m = createInvite({ identity, relayAddr: new Uint8Array(MAX_RELAY_ADDR_BYTES).fill(0xaa), mailbox, expiresAt: 0xffffffff, rng })
  t.equal(m.bytes.length, INVITE_FIXED_BYTES + MAX_RELAY_ADDR_BYTES)
  t.ok(m.bytes.length <= MAX_INVITE_BYTES, `${m.bytes.length} bytes`)
  t.ok(m.uri.length <= 5 + Math.ceil(MAX_INVITE_BYTES * 4 / 3), `${m.uri.length} characters`)
  t.comment(`max invite: ${m.bytes.length} bytes, ${m.uri.length} characters; typical (/ip4/tcp/p2p relay): ${made.bytes.length} bytes, ${made.uri.length} characters`)
  t.throws(() => createInvite({ identity, relayAddr: new Uint8Array(MAX_RELAY_ADDR_BYTES + 1), mailbox, expiresAt: EXP, rng }), { code: 'ERR_INVALID_ARGUMENT' })
  t.throws(() => createInvite({ identity, relayAddr: new Uint8Array(0), mailbox, expiresAt: EXP, rng }), { code: 'ERR_INVALID_ARGUMENT' })
})

t.test('each failure kind has its own code', async (t) => {
  const b = made.bytes
  const uri = (x: Uint8Array): string => 'tern:' + Buffer.from(x).toString('base64url')
  t.equal(code(() => parseInvite('https://example.com/x', NOW)), 'ERR_INVITE_FORMAT', 'not a tern URI')
  t.equal(code(() => parseInvite('tern:abc+def', NOW)), 'ERR_INVITE_FORMAT', 'not base64url')
  t.equal(code(() => parseInvite('tern:AB', NOW)), 'ERR_INVITE_FORMAT', 'non-canonical base64url (stray bits)')
  t.equal(code(() => parseInvite('tern:' + 'A'.repeat(700), NOW)), 'ERR_INVITE_OVERSIZED', 'oversized text')
  t.equal(code(() => decodeInvite(new Uint8Array(513), NOW)), 'ERR_INVITE_OVERSIZED', 'oversized bytes')
  t.equal(code(() => parseInvite('tern:', NOW)), 'ERR_INVITE_TRUNCATED', 'empty')
  t.equal(code(() => parseInvite(uri(b.subarray(0, b.length - 1)), NOW)), 'ERR_INVITE_TRUNCATED', 'one byte short')
  t.equal(code(() => parseInvite(uri(b.subarray(0, 100)), NOW)), 'ERR_INVITE_TRUNCATED', 'cut in the middle')
  const v = b.slice(); v[0] = 2
  t.equal(code(() => parseInvite(uri(v), NOW)), 'ERR_INVITE_VERSION', 'wrong version')
  t.equal(code(() => parseInvite(uri(Uint8Array.of(0)), NOW)), 'ERR_INVITE_VERSION', 'old version 0')
  t.equal(code(() => parseInvite(uri(Buffer.concat([b, Uint8Array.of(0)])), NOW)), 'ERR_INVITE_MALFORMED', 'trailing byte')
  const lenAt = 1 + 32 * 4 + 4
  const empty = Buffer.concat([b.subarray(0, lenAt), Uint8Array.of(0), b.subarray(lenAt + 1 + relayAddr.length)])
  t.equal(code(() => parseInvite(uri(empty), NOW)), 'ERR_INVITE_MISSING_FIELD', 'empty relay address')
  const long = b.slice(); long[lenAt] = 201
  t.equal(code(() => parseInvite(uri(long), NOW)), 'ERR_INVITE_LIMIT', 'relay address over its limit')
  const tampered = b.slice(); tampered[1 + 64 + 32 + 5]! ^= 0x10 // a bit of the secret
  t.equal(code(() => parseInvite(uri(tampered), NOW)), 'ERR_INVITE_BAD_SIGNATURE', 'tampered')
  t.equal(code(() => parseInvite(made.uri, EXP * 1000)), 'ERR_INVITE_EXPIRED', 'expired exactly at expiry')
  t.equal(code(() => parseInvite(made.uri, EXP * 1000 - 1)), 'none', 'valid one ms before')
  const laterExpiry = b.slice(); laterExpiry[1 + 128 + 3]! ^= 1
  t.equal(code(() => parseInvite(uri(laterExpiry), EXP * 1000 + 10_000)), 'ERR_INVITE_BAD_SIGNATURE', 'an altered expiry is tampering, not expiry')
})

t.test('every single bit flip is rejected with a typed error; signed-field flips are ERR_INVITE_BAD_SIGNATURE', async (t) => {
  const b = made.bytes
  const lenAt = 1 + 32 * 4 + 4
  const counts = new Map<string, number>()
  for (let bit = 0; bit < b.length * 8; bit++) {
    const x = b.slice(); x[bit >> 3]! ^= 1 << (bit & 7)
    const c = code(() => parseInvite('tern:' + Buffer.from(x).toString('base64url'), NOW))
    counts.set(c, (counts.get(c) ?? 0) + 1)
    const i = bit >> 3
    if (i !== 0 && i !== lenAt && c !== 'ERR_INVITE_BAD_SIGNATURE') t.fail(`byte ${i} bit ${bit & 7}: ${c}`)
    if (c === 'none' || c.startsWith('untyped')) t.fail(`bit ${bit} accepted or untyped: ${c}`)
  }
  t.comment(JSON.stringify(Object.fromEntries(counts)))
  t.notOk(counts.has('none'))
})

t.test('random strings and random tern: payloads only ever raise typed errors', async (t) => {
  const typed = (s: string): boolean => { try { parseInvite(s, NOW); return false } catch (e) { return e instanceof TernError } }
  fc.assert(fc.property(fc.string({ maxLength: 800 }), typed), { numRuns: 1000 })
  fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), maxLength: 800 }), (s) => typed('tern:' + s)), { numRuns: 1000 })
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (x) => typed('tern:' + Buffer.from(x).toString('base64url'))), { numRuns: 1000 })
  fc.assert(fc.property(fc.uint8Array({ minLength: INVITE_FIXED_BYTES, maxLength: 512 }), (x) => { x[0] = 1; return typed('tern:' + Buffer.from(x).toString('base64url')) }), { numRuns: 1000 })
})

/**
 * Contact handshake (PROTOCOL.md §5): request → accept (first ratchet message) → reply, tampering and replays as typed
 * errors, rejects, and simultaneous adds converging on one session.
 */
import t from 'tap'
import fc from 'fast-check'
import { TernError } from '../protocol/errors.js'
import { seededRng, type Rng } from '../protocol/crypto/index.js'
import { generateIdentity, identityPublic, type IdentityKeyPair } from '../protocol/identity/index.js'
import { createInvite, type Invite, type InviteRecord, type OpenInvite } from '../protocol/invite/index.js'
import { generatePqPreKey, generateSignedPreKey, type PqPreKeyPair, type SignedPreKeyPair } from '../protocol/prekeys/index.js'
import {
  acceptContactRequest, completeContactAccept, createContactReject, createContactRequest, decodeContactAccept,
  encodeContactAccept, openContactRequest,
  requestInviteTag, resolveSimultaneous, verifyContactReject, MAX_CONTACT_INFO_BYTES, MAX_NAME_BYTES, MAX_REQUEST_BYTES,
  MIN_REQUEST_BYTES, REQUEST_DELIVERY_GRACE_MS, RejectReason, type PendingRequest
} from '../protocol/handshake/index.js'
import { ratchetDecrypt, ratchetEncrypt, type RatchetState } from '../protocol/ratchet/index.js'

const enc = new TextEncoder()
const dec = new TextDecoder()
const NOW = 1_750_000_000_000
const EXP = NOW / 1000 + 3600

interface Party { id: IdentityKeyPair, spk: SignedPreKeyPair, pq: PqPreKeyPair }
function party (rng: Rng, spkId = 1, pqId = 2): Party {
  const id = generateIdentity(rng)
  return { id, spk: generateSignedPreKey(id, spkId, rng), pq: generatePqPreKey(id, pqId, rng) }
}
function invite (p: Party, rng: Rng): { invite: Invite, record: OpenInvite } {
  const m = createInvite({ identity: p.id, relayAddr: Uint8Array.of(4, 127, 0, 0, 1), mailbox: { queueId: rng(16), depositToken: rng(32) }, expiresAt: EXP, rng })
  return { invite: m.invite, record: m.record }
}
const code = (f: () => unknown): string => { try { f(); return 'none' } catch (e) { return e instanceof TernError ? e.code : `untyped:${String(e)}` } }

const rng = seededRng('handshake-test')
const alice = party(rng) // inviter
const bob = party(rng, 10, 11) // invitee
const inv = invite(alice, rng)
const { request, pending } = createContactRequest({
  invite: inv.invite, myIdentity: bob.id, signedPreKey: bob.spk, pqPreKey: bob.pq, name: 'Bob 🐦', contactInfo: enc.encode('bob-mailbox'), now: NOW, rng
})

t.test('end to end: request → accept with first message → reply → more messages', async (t) => {
  t.ok(request.length >= MIN_REQUEST_BYTES && request.length <= MAX_REQUEST_BYTES, `request ${request.length} bytes`)
  t.same(Buffer.from(requestInviteTag(request)), Buffer.from(inv.record.tag))
  const opened = openContactRequest({ bytes: request, invite: inv.record, myIdentity: alice.id, now: NOW + 1000 })
  t.equal(opened.name, 'Bob 🐦')
  t.equal(dec.decode(opened.contactInfo), 'bob-mailbox')
  t.equal(opened.timestamp, NOW)
  t.same(Buffer.from(opened.identity.signingKey), Buffer.from(bob.id.signing.publicKey))

  const acc = acceptContactRequest({ opened, myIdentity: alice.id, firstPlaintext: enc.encode('hi Bob, I am Alice'), rng })
  t.equal(acc.usedInvite.state, 'used')
  t.comment(`request ${request.length} bytes, accept ${acc.accept.length} bytes`)
  const done = completeContactAccept({ bytes: acc.accept, pending, myIdentity: bob.id, signedPreKey: bob.spk, pqPreKey: bob.pq })
  t.equal(dec.decode(done.firstPlaintext), 'hi Bob, I am Alice')
  t.same(Buffer.from(done.associatedData), Buffer.from(acc.associatedData))
  t.same(Buffer.from(done.theirIdentity.signingKey), Buffer.from(alice.id.signing.publicKey))

  let a: RatchetState = acc.state
  let b: RatchetState = done.state
  const r1 = ratchetEncrypt(b, enc.encode('hello Alice'), rng); b = r1.state
  const d1 = ratchetDecrypt(a, r1.message); a = d1.state
  t.equal(dec.decode(d1.plaintext), 'hello Alice', 'the reply decrypts')
  for (let i = 0; i < 5; i++) {
    const x = ratchetEncrypt(a, enc.encode(`a${i}`), rng); a = x.state
    const y = ratchetDecrypt(b, x.message); b = y.state
    t.equal(dec.decode(y.plaintext), `a${i}`)
    const z = ratchetEncrypt(b, enc.encode(`b${i}`), rng); b = z.state
    const w = ratchetDecrypt(a, z.message); a = w.state
    t.equal(dec.decode(w.plaintext), `b${i}`)
  }

  t.test('replays are typed errors', async (t) => {
    const used: InviteRecord = acc.usedInvite
    t.equal(code(() => openContactRequest({ bytes: request, invite: used, myIdentity: alice.id, now: NOW })), 'ERR_REQUEST_REPLAYED')
    const other = createContactRequest({ invite: inv.invite, myIdentity: party(rng).id, signedPreKey: bob.spk, pqPreKey: bob.pq, name: 'Eve', contactInfo: new Uint8Array(0), now: NOW, rng })
    t.equal(code(() => openContactRequest({ bytes: other.request, invite: used, myIdentity: alice.id, now: NOW })), 'ERR_INVITE_USED')
    t.equal(code(() => completeContactAccept({ bytes: acc.accept, pending: done.completed, myIdentity: bob.id, signedPreKey: bob.spk, pqPreKey: bob.pq })), 'ERR_ACCEPT_REPLAYED')
  })
})

t.test('maximal name and contact info fit MAX_REQUEST_BYTES; over-limit inputs are refused', async (t) => {
  const big = createContactRequest({ invite: inv.invite, myIdentity: bob.id, signedPreKey: bob.spk, pqPreKey: bob.pq, name: 'n'.repeat(MAX_NAME_BYTES), contactInfo: new Uint8Array(MAX_CONTACT_INFO_BYTES), now: NOW, rng })
  t.equal(big.request.length, MAX_REQUEST_BYTES)
  const o = openContactRequest({ bytes: big.request, invite: inv.record, myIdentity: alice.id, now: NOW })
  t.equal(o.name.length, MAX_NAME_BYTES)
  const small = createContactRequest({ invite: inv.invite, myIdentity: bob.id, signedPreKey: bob.spk, pqPreKey: bob.pq, name: '', contactInfo: new Uint8Array(0), now: NOW, rng })
  t.equal(small.request.length, MIN_REQUEST_BYTES)
  t.equal(code(() => createContactRequest({ invite: inv.invite, myIdentity: bob.id, signedPreKey: bob.spk, pqPreKey: bob.pq, name: 'é'.repeat(33), contactInfo: new Uint8Array(0), now: NOW, rng })), 'ERR_INVALID_ARGUMENT')
  t.equal(code(() => createContactRequest({ invite: inv.invite, myIdentity: bob.id, signedPreKey: bob.spk, pqPreKey: bob.pq, name: '', contactInfo: new Uint8Array(MAX_CONTACT_INFO_BYTES + 1), now: NOW, rng })), 'ERR_INVALID_ARGUMENT')
  t.equal(code(() => createContactRequest({ invite: inv.invite, myIdentity: bob.id, signedPreKey: bob.spk, pqPreKey: bob.pq, name: '', contactInfo: new Uint8Array(0), now: EXP * 1000, rng })), 'ERR_INVITE_EXPIRED')
  t.equal(code(() => createContactRequest({ invite: inv.invite, myIdentity: alice.id, signedPreKey: alice.spk, pqPreKey: alice.pq, name: '', contactInfo: new Uint8Array(0), now: NOW, rng })), 'ERR_INVALID_ARGUMENT', 'own invite')
})

t.test('request rejection: each failure kind has its own code', async (t) => {
  const open = (bytes: Uint8Array, over: Partial<{ invite: InviteRecord, now: number, me: IdentityKeyPair }> = {}): string =>
    code(() => openContactRequest({ bytes, invite: over.invite ?? inv.record, myIdentity: over.me ?? alice.id, now: over.now ?? NOW }))
  t.equal(open(new Uint8Array(0)), 'ERR_REQUEST_TRUNCATED')
  const v = request.slice(); v[0] = 9
  t.equal(open(v), 'ERR_REQUEST_VERSION')
  t.equal(open(request.subarray(0, MIN_REQUEST_BYTES - 1)), 'ERR_REQUEST_TRUNCATED')
  t.equal(open(Buffer.concat([request, new Uint8Array(MAX_REQUEST_BYTES)])), 'ERR_REQUEST_LIMIT')
  const other = invite(alice, rng)
  t.equal(open(request, { invite: other.record }), 'ERR_REQUEST_WRONG_INVITE')
  t.equal(open(request, { now: EXP * 1000 + REQUEST_DELIVERY_GRACE_MS }), 'ERR_REQUEST_EXPIRED')
  t.equal(open(request, { now: EXP * 1000 + 1000 }), 'none', 'a request sent in time may arrive after expiry (mailbox delay)')
  t.equal(open(request, { invite: { ...inv.record, secret: rng(32) } }), 'ERR_REQUEST_AUTHENTICATION', 'wrong invite secret')
  t.equal(open(request, { me: party(rng).id }), 'ERR_REQUEST_AUTHENTICATION', 'wrong inviter identity')
  t.equal(open(request, { now: NOW - 11 * 60 * 1000 }), 'ERR_REQUEST_TIMESTAMP', 'timestamp too far in the future')
  const late = createContactRequest({ invite: { ...inv.invite, expiresAt: EXP + 100_000 }, myIdentity: bob.id, signedPreKey: bob.spk, pqPreKey: bob.pq, name: '', contactInfo: new Uint8Array(0), now: EXP * 1000 + 3_600_000, rng })
  t.equal(open(late.request, { now: EXP * 1000 + 3_600_000 }), 'ERR_REQUEST_TIMESTAMP', 'sent after the invite expired')
  // Every single-bit flip of the request is a typed error and never opens (sampled: each bit costs a full open).
  fc.assert(fc.property(fc.nat({ max: request.length * 8 - 1 }), (bit) => {
    const x = request.slice(); x[bit >> 3]! ^= 1 << (bit & 7)
    const c = open(x)
    if (bit < 8) return c === 'ERR_REQUEST_VERSION'
    if (bit < 17 * 8) return c === 'ERR_REQUEST_WRONG_INVITE'
    return c === 'ERR_REQUEST_AUTHENTICATION' || c === 'ERR_HANDSHAKE_PEER_KEY'
  }), { numRuns: 300 })
})

t.test('a request whose sealed contents were signed by someone else fails the signature check', async (t) => {
  // Mallory holds the invite too (she is the invitee) and sends Bob's bundle: the sealed static key is hers, so the
  // bundle identity mismatches; with her own bundle but Bob's signature the transcript check fails.
  const mallory = party(rng)
  const m = createContactRequest({ invite: inv.invite, myIdentity: mallory.id, signedPreKey: bob.spk, pqPreKey: bob.pq, name: 'M', contactInfo: new Uint8Array(0), now: NOW, rng })
  t.equal(code(() => openContactRequest({ bytes: m.request, invite: inv.record, myIdentity: alice.id, now: NOW })), 'ERR_SIGNED_PREKEY_SIGNATURE', "Bob's prekeys under Mallory's identity")
})

t.test('accept rejection: tampering, wrong request, wrong prekeys', async (t) => {
  const opened = openContactRequest({ bytes: request, invite: inv.record, myIdentity: alice.id, now: NOW })
  const acc = acceptContactRequest({ opened, myIdentity: alice.id, firstPlaintext: enc.encode('first'), rng })
  const complete = (bytes: Uint8Array, p: PendingRequest = pending, spk = bob.spk, pq = bob.pq): string =>
    code(() => completeContactAccept({ bytes, pending: p, myIdentity: bob.id, signedPreKey: spk, pqPreKey: pq }))
  t.equal(complete(acc.accept), 'none')
  t.equal(complete(new Uint8Array(0)), 'ERR_ACCEPT_TRUNCATED')
  const v = acc.accept.slice(); v[0] = 0
  t.equal(complete(v), 'ERR_ACCEPT_VERSION')
  t.equal(complete(acc.accept.subarray(0, 1000)), 'ERR_ACCEPT_TRUNCATED')
  t.equal(complete(Buffer.concat([acc.accept, Uint8Array.of(1)])), 'ERR_ACCEPT_MALFORMED')
  const hl = acc.accept.slice(); hl[1145] = 0xff
  t.equal(complete(hl), 'ERR_ACCEPT_LIMIT')
  t.equal(complete(acc.accept, { ...pending, tag: rng(16) }), 'ERR_ACCEPT_WRONG_REQUEST')
  t.equal(complete(acc.accept, pending, generateSignedPreKey(bob.id, 99, rng)), 'ERR_ACCEPT_UNKNOWN_PREKEY')
  t.equal(complete(acc.accept, pending, { ...bob.spk, keyPair: generateSignedPreKey(bob.id, 10, rng).keyPair }), 'ERR_ACCEPT_AUTHENTICATION', 'wrong SPK secret')
  t.equal(complete(acc.accept, { ...pending, requestHash: rng(32) }), 'ERR_ACCEPT_AUTHENTICATION', 'session bound to the request')
  // EK_A is bytes 17-48; X25519 ignores bit 255, so without the check this accept would complete the same session
  const top = acc.accept.slice(); top[48]! ^= 0x80
  t.equal(complete(top), 'ERR_HANDSHAKE_PEER_KEY', 'EK_A with bit 255 set')
  // every bit flip from EK_A onwards (ids excepted) breaks the first message's authentication
  fc.assert(fc.property(fc.integer({ min: 17 * 8, max: acc.accept.length * 8 - 1 }), (bit) => {
    const x = acc.accept.slice(); x[bit >> 3]! ^= 1 << (bit & 7)
    const i = bit >> 3
    const c = complete(x)
    if (i >= 49 && i < 57) return c === 'ERR_ACCEPT_UNKNOWN_PREKEY'
    if (i >= 1145 && i < 1147) return c === 'ERR_ACCEPT_LIMIT' || c === 'ERR_ACCEPT_TRUNCATED' || c === 'ERR_ACCEPT_MALFORMED'
    if (i >= 1147 + 68 && i < 1147 + 70) return c === 'ERR_ACCEPT_LIMIT' || c === 'ERR_ACCEPT_TRUNCATED' || c === 'ERR_ACCEPT_MALFORMED'
    return c === 'ERR_ACCEPT_AUTHENTICATION' || c === 'ERR_HANDSHAKE_PEER_KEY'
  }), { numRuns: 200 })
})

t.test('reject: created by the inviter, verified against the invite identity', async (t) => {
  for (const reason of [RejectReason.USED, RejectReason.EXPIRED, RejectReason.UNKNOWN]) {
    const r = createContactReject({ tag: pending.tag, reason, myIdentity: alice.id })
    t.equal(r.length, 82)
    t.same(verifyContactReject({ bytes: r, pending }), { reason })
  }
  const r = createContactReject({ tag: pending.tag, reason: RejectReason.USED, myIdentity: alice.id })
  const v = (b: Uint8Array, p: PendingRequest = pending): string => code(() => verifyContactReject({ bytes: b, pending: p }))
  t.equal(v(new Uint8Array(0)), 'ERR_REJECT_TRUNCATED')
  const ver = r.slice(); ver[0] = 2
  t.equal(v(ver), 'ERR_REJECT_VERSION')
  t.equal(v(r.subarray(0, 81)), 'ERR_REJECT_TRUNCATED')
  t.equal(v(Buffer.concat([r, Uint8Array.of(0)])), 'ERR_REJECT_MALFORMED')
  const reason = r.slice(); reason[17] = 9
  t.equal(v(reason), 'ERR_REJECT_MALFORMED')
  const reason2 = r.slice(); reason2[17] = RejectReason.EXPIRED
  t.equal(v(reason2), 'ERR_REJECT_BAD_SIGNATURE', 'a changed reason')
  t.equal(v(r, { ...pending, tag: rng(16) }), 'ERR_REJECT_WRONG_REQUEST')
  const forged = createContactReject({ tag: pending.tag, reason: RejectReason.USED, myIdentity: bob.id })
  t.equal(v(forged), 'ERR_REJECT_BAD_SIGNATURE', 'signed by someone other than the inviter')
  t.equal(code(() => createContactReject({ tag: pending.tag, reason: 7 as RejectReason, myIdentity: alice.id })), 'ERR_INVALID_ARGUMENT')
})

t.test('simultaneous adds converge on one session', async (t) => {
  for (let round = 0; round < 8; round++) {
    const r = seededRng(`simultaneous-${round}`)
    const p = party(r); const q = party(r)
    const invP = invite(p, r); const invQ = invite(q, r)
    // each adds the other's invite at the same moment
    const fromP = createContactRequest({ invite: invQ.invite, myIdentity: p.id, signedPreKey: p.spk, pqPreKey: p.pq, name: 'P', contactInfo: new Uint8Array(0), now: NOW, rng: r })
    const fromQ = createContactRequest({ invite: invP.invite, myIdentity: q.id, signedPreKey: q.spk, pqPreKey: q.pq, name: 'Q', contactInfo: new Uint8Array(0), now: NOW, rng: r })
    const roleP = resolveSimultaneous(identityPublic(p.id), identityPublic(q.id))
    const roleQ = resolveSimultaneous(identityPublic(q.id), identityPublic(p.id))
    t.not(roleP, roleQ, 'exactly one side responds')
    const [small, large, requestFromLarge, invOfSmall, pendingOfLarge] = roleP === 'respond'
      ? [p, q, fromQ.request, invP.record, fromQ.pending] as const
      : [q, p, fromP.request, invQ.record, fromP.pending] as const
    // the smaller side opens the larger's request and accepts it, dropping its own pending request
    const opened = openContactRequest({ bytes: requestFromLarge, invite: invOfSmall, myIdentity: small.id, now: NOW })
    const acc = acceptContactRequest({ opened, myIdentity: small.id, firstPlaintext: enc.encode('accepted'), rng: r })
    // the larger side ignored the smaller's request (nothing to do) and completes with its own pending request
    const done = completeContactAccept({ bytes: acc.accept, pending: pendingOfLarge, myIdentity: large.id, signedPreKey: large.spk, pqPreKey: large.pq })
    t.equal(dec.decode(done.firstPlaintext), 'accepted')
    const reply = ratchetEncrypt(done.state, enc.encode('one session'), r)
    t.equal(dec.decode(ratchetDecrypt(acc.state, reply.message).plaintext), 'one session')
  }
  const me = identityPublic(alice.id)
  t.equal(code(() => resolveSimultaneous(me, me)), 'ERR_INVALID_ARGUMENT')
})

t.test('ContactAccept codec round-trips (property) and random bytes only raise typed errors', async (t) => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat({ max: 0xffffffff }),
    fc.nat({ max: 0xffffffff }), fc.uint8Array({ minLength: 1088, maxLength: 1088 }), fc.uint8Array({ maxLength: 256 }), fc.uint8Array({ maxLength: 2000 }),
    (tag, ek, spkId, pqId, ct, header, body) => {
      const a = { tag, ephemeralKey: ek, signedPreKeyId: spkId, pqPreKeyId: pqId, kemCipherText: ct, message: { header, body } }
      const b = decodeContactAccept(encodeContactAccept(a))
      return JSON.stringify(b, (_k, v) => v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v) ===
        JSON.stringify(a, (_k, v) => v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)
    }), { numRuns: 100 })
  const typed = (f: () => unknown): boolean => { try { f(); return false } catch (e) { return e instanceof TernError } }
  fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), fc.boolean(), (x, v1) => {
    if (v1 && x.length > 0) x[0] = 1
    return typed(() => openContactRequest({ bytes: x, invite: inv.record, myIdentity: alice.id, now: NOW })) &&
      typed(() => completeContactAccept({ bytes: x, pending, myIdentity: bob.id, signedPreKey: bob.spk, pqPreKey: bob.pq })) &&
      typed(() => verifyContactReject({ bytes: x, pending }))
  }), { numRuns: 500 })
  // random bodies behind a valid header reach the AEAD and fail there
  fc.assert(fc.property(fc.uint8Array({ minLength: MIN_REQUEST_BYTES - 17, maxLength: MAX_REQUEST_BYTES - 17 }), (x) => {
    const c = code(() => openContactRequest({ bytes: Buffer.concat([request.subarray(0, 17), x]), invite: inv.record, myIdentity: alice.id, now: NOW }))
    return c === 'ERR_REQUEST_AUTHENTICATION' || c === 'ERR_HANDSHAKE_PEER_KEY'
  }), { numRuns: 100 })
})

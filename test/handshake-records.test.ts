/**
 * Stored records (PROTOCOL.md §2.5, §3.4, §4.4, §5.4): identity, prekey pairs, invite records and request records
 * round-trip, and reject truncation, unknown versions and malformed content with their own codes.
 */
import t from 'tap'
import fc from 'fast-check'
import { seededRng } from '../protocol/crypto/index.js'
import { TernError } from '../protocol/errors.js'
import { deserializeIdentity, generateIdentity, serializeIdentity } from '../protocol/identity/index.js'
import {
  deserializePqPreKey, deserializeSignedPreKey, generatePqPreKey, generateSignedPreKey, serializePqPreKey, serializeSignedPreKey
} from '../protocol/prekeys/index.js'
import { createInvite, deserializeInviteRecord, serializeInviteRecord, type InviteRecord } from '../protocol/invite/index.js'
import {
  acceptContactRequest, completeContactAccept, createContactRequest, deserializeRequestRecord, openContactRequest,
  serializeRequestRecord
} from '../protocol/handshake/index.js'

const NOW = 1_750_000_000_000
const rng = seededRng('records')
const alice = generateIdentity(rng)
const bob = generateIdentity(rng)
const spk = generateSignedPreKey(bob, 5, rng)
const pq = generatePqPreKey(bob, 6, rng)
const inv = createInvite({ identity: alice, relayAddr: Uint8Array.of(9), mailbox: { queueId: rng(16), depositToken: rng(32) }, expiresAt: NOW / 1000 + 60, rng })
const req = createContactRequest({ invite: inv.invite, myIdentity: bob, signedPreKey: spk, pqPreKey: pq, name: 'B', contactInfo: new Uint8Array(0), now: NOW, rng })
const hex = (x: unknown): string => JSON.stringify(x, (_k, v) => v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)
const code = (f: () => unknown): string => { try { f(); return 'none' } catch (e) { return e instanceof TernError ? e.code : `untyped:${String(e)}` } }

const eq = (t: { equal: (...a: any[]) => unknown }): Asserts => ({ equal: (a, b, m) => { t.equal(a, b, m) } })
interface Asserts { equal: (found: string, wanted: string, message: string) => void }
function checkCodec (t: Asserts, name: string, bytes: Uint8Array, decode: (b: Uint8Array) => unknown): void {
  t.equal(code(() => decode(new Uint8Array(0))), 'ERR_RECORD_TRUNCATED', `${name}: empty`)
  t.equal(code(() => decode(bytes.subarray(0, bytes.length - 1))), 'ERR_RECORD_TRUNCATED', `${name}: one byte short`)
  const v = bytes.slice(); v[0] = 7
  t.equal(code(() => decode(v)), 'ERR_RECORD_VERSION', `${name}: unknown version`)
  t.equal(code(() => decode(Buffer.concat([bytes, Uint8Array.of(0)]))), 'ERR_RECORD_MALFORMED', `${name}: trailing byte`)
  fc.assert(fc.property(fc.nat({ max: bytes.length }), (n) => {
    const c = code(() => decode(bytes.subarray(0, n)))
    return n === bytes.length ? c === 'none' : c === 'ERR_RECORD_TRUNCATED'
  }), { numRuns: 100 })
}

t.test('identity record', async (t) => {
  const b = serializeIdentity(alice)
  t.equal(b.length, 65)
  t.equal(hex(deserializeIdentity(b)), hex(alice))
  checkCodec(eq(t), 'identity', b, deserializeIdentity)
})

t.test('prekey records', async (t) => {
  t.equal(hex(deserializeSignedPreKey(serializeSignedPreKey(spk))), hex(spk))
  t.equal(hex(deserializePqPreKey(serializePqPreKey(pq))), hex(pq))
  checkCodec(eq(t), 'spk', serializeSignedPreKey(spk), deserializeSignedPreKey)
  const b = serializePqPreKey(pq)
  checkCodec(eq(t), 'pq', b, deserializePqPreKey)
  const mixed = b.slice(); mixed[10]! ^= 1
  t.equal(code(() => deserializePqPreKey(mixed)), 'ERR_RECORD_MALFORMED', 'public key not the one inside the secret key')
})

t.test('invite and request records, through a whole handshake', async (t) => {
  const open = deserializeInviteRecord(serializeInviteRecord(inv.record))
  t.equal(hex(open), hex(inv.record))
  checkCodec(eq(t), 'open invite', serializeInviteRecord(inv.record), deserializeInviteRecord)
  const pending = deserializeRequestRecord(serializeRequestRecord(req.pending))
  t.equal(hex(pending), hex(req.pending))
  checkCodec(eq(t), 'pending request', serializeRequestRecord(req.pending), deserializeRequestRecord)
  // the handshake runs on records that went through storage
  const opened = openContactRequest({ bytes: req.request, invite: open, myIdentity: deserializeIdentity(serializeIdentity(alice)), now: NOW })
  const acc = acceptContactRequest({ opened, myIdentity: alice, firstPlaintext: Uint8Array.of(1), rng })
  const used: InviteRecord = deserializeInviteRecord(serializeInviteRecord(acc.usedInvite))
  t.equal(hex(used), hex(acc.usedInvite))
  checkCodec(eq(t), 'used invite', serializeInviteRecord(acc.usedInvite), deserializeInviteRecord)
  t.equal(code(() => openContactRequest({ bytes: req.request, invite: used, myIdentity: alice, now: NOW })), 'ERR_REQUEST_REPLAYED')
  const done = completeContactAccept({ bytes: acc.accept, pending, myIdentity: bob, signedPreKey: deserializeSignedPreKey(serializeSignedPreKey(spk)), pqPreKey: deserializePqPreKey(serializePqPreKey(pq)) })
  const completed = deserializeRequestRecord(serializeRequestRecord(done.completed))
  t.equal(hex(completed), hex(done.completed))
  checkCodec(eq(t), 'completed request', serializeRequestRecord(done.completed), deserializeRequestRecord)
  const badState = serializeInviteRecord(inv.record); badState[1] = 9
  t.equal(code(() => deserializeInviteRecord(badState)), 'ERR_RECORD_MALFORMED')
  const badState2 = serializeRequestRecord(req.pending); badState2[1] = 0
  t.equal(code(() => deserializeRequestRecord(badState2)), 'ERR_RECORD_MALFORMED')
})

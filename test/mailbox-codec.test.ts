/**
 * Pure parts of the mailbox (PROTOCOL.md §8.1-§8.3, §8.8): frame decoder and request decoder under fuzzing (typed
 * errors only), codec round trips, the stored queue record, and what the owner signature binds.
 */
import t from 'tap'
import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import { ed25519KeyPair, seededRng } from '../protocol/crypto/index.js'
import { FrameDecoder, encodeFrame, MAX_LENGTH_BYTES } from '../bootstrap/mailbox/frames.js'
import { decodeRequest } from '../bootstrap/mailbox/server.js'
import { MailboxProtocolError } from '../bootstrap/mailbox/errors.js'
import { Request, ServerFrame } from '../bootstrap/mailbox/pb/mailbox.js'
import { decodeQueue, encodeQueue, type QueueRecord } from '../bootstrap/mailbox/store.js'
import { authMessage, signAuth, verifyAuth } from '../bootstrap/mailbox/auth.js'
import { MAX_FRAME_BYTES } from '../bootstrap/mailbox/constants.js'

const bytes = (max = 64): fc.Arbitrary<Uint8Array<ArrayBuffer>> => fc.uint8Array({ maxLength: max }) as fc.Arbitrary<Uint8Array<ArrayBuffer>>

function splitAt (data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map(c => c % (data.length + 1)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let prev = 0
  for (const p of points) { out.push(data.subarray(prev, p)); prev = p }
  out.push(data.subarray(prev))
  return out
}

t.test('frame decoder: any bytes, any chunking -> frames or MailboxProtocolError', async t => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 8 }), (data, cuts) => {
    const d = new FrameDecoder(100)
    try {
      for (const ch of splitAt(data, cuts)) for (const f of d.push(ch)) if (f.length > 100) return false
    } catch (err) {
      return err instanceof MailboxProtocolError
    }
    return true
  }), { numRuns: 3000 })
  t.pass('typed errors only')
})

t.test('frame decoder: encodeFrame round trip under arbitrary chunking', async t => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 12 }), (msgs, cuts) => {
    const wire = Buffer.concat(msgs.map(m => encodeFrame(m)))
    const d = new FrameDecoder()
    const got: Uint8Array[] = []
    for (const ch of splitAt(wire, cuts)) got.push(...d.push(ch))
    return got.length === msgs.length && got.every((g, i) => Buffer.from(g).equals(Buffer.from(msgs[i]))) && d.buffered === 0
  }), { numRuns: 1000 })
  const d = new FrameDecoder()
  t.throws(() => d.push(new Uint8Array(MAX_LENGTH_BYTES).fill(0x80)), { code: 'ERR_MAILBOX_PROTOCOL' }, 'unterminated length prefix')
  t.throws(() => new FrameDecoder().push(Uint8Array.of(0x81, 0x80, 0x80, 0x01)), { code: 'ERR_MAILBOX_PROTOCOL' },
    'length over MAX_FRAME_BYTES')
  t.same(new FrameDecoder().push(Uint8Array.of(0)), [new Uint8Array(0)], 'an empty frame is a frame')
  // a 1 MiB frame arriving one byte per chunk costs linear time
  const big = encodeFrame(new Uint8Array(1 << 20).fill(3))
  const slow = new FrameDecoder()
  const t0 = performance.now()
  let got: Uint8Array[] = []
  for (let i = 0; i < big.length; i++) got = got.concat(slow.push(big.subarray(i, i + 1)))
  t.equal(got.length, 1); t.equal(got[0].length, 1 << 20)
  t.ok(performance.now() - t0 < 5000, `1-byte chunks: ${(performance.now() - t0).toFixed(0)} ms`)
  t.equal(MAX_FRAME_BYTES < 128 ** MAX_LENGTH_BYTES, true)
})

t.test('request decoder: any bytes -> Request or MailboxProtocolError', async t => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (data) => {
    try { decodeRequest(data); return true } catch (err) { return err instanceof MailboxProtocolError }
  }), { numRuns: 5000 })
  // mutations of valid requests
  const valid = Request.encode({ id: 7, type: Request.Type.DEPOSIT_BATCH, deposits: [{ queueId: new Uint8Array(16), token: new Uint8Array(32), envelope: Uint8Array.of(1, 2, 3) as Uint8Array<ArrayBuffer> }], ids: [1, 2] })
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(), (muts, cut) => {
    const m = valid.slice(0, Math.max(1, valid.length - (cut % 4)))
    for (const [i, v] of muts) m[i % m.length] = v
    try { decodeRequest(m); return true } catch (err) { return err instanceof MailboxProtocolError }
  }), { numRuns: 5000 })
  const tooMany = Request.encode({ id: 1, type: Request.Type.ACK, ids: Array.from({ length: 2000 }, (_, i) => i) })
  t.throws(() => decodeRequest(tooMany), { code: 'ERR_MAILBOX_PROTOCOL' }, 'repeated-field limits hold while decoding')
  t.throws(() => decodeRequest(Uint8Array.of(0x10, 0x63)), { code: 'ERR_MAILBOX_PROTOCOL' }, 'unknown request type')
})

t.test('wire codecs round-trip', async t => {
  const req = fc.record({
    id: fc.integer({ min: 0, max: 0xffffffff }),
    type: fc.constantFrom(...Object.values(Request.Type).filter((v): v is Request.Type => typeof v === 'string')),
    queueId: bytes(16),
    deposits: fc.array(fc.record({ queueId: bytes(16), token: bytes(32), envelope: bytes(100) }, { noNullPrototype: true }), { maxLength: 4 }),
    maxCount: fc.integer({ min: 0, max: 0xffffffff }),
    maxBytes: fc.integer({ min: 0, max: 0xffffffff }),
    ids: fc.array(fc.maxSafeNat(), { maxLength: 5 }),
    queueIds: fc.array(bytes(16), { maxLength: 3 })
  }, { noNullPrototype: true })
  fc.assert(fc.property(req, (r) => {
    const { auth, ...back } = Request.decode(Request.encode(r))
    return auth === undefined && isDeepStrictEqual(back, r)
  }), { numRuns: 500 })
  const frame = { kind: ServerFrame.Kind.PUSH, envelopes: [{ queueId: new Uint8Array(16), id: 2 ** 40, data: Uint8Array.of(9) as Uint8Array<ArrayBuffer>, depositedAt: 1_700_000_000_000 }] }
  const back = ServerFrame.decode(ServerFrame.encode(frame))
  t.equal(back.envelopes[0].id, 2 ** 40, 'u64 ids survive as numbers')
  t.equal(back.envelopes[0].depositedAt, 1_700_000_000_000)
})

t.test('stored queue record round-trips and is versioned', async t => {
  fc.assert(fc.property(fc.record({
    queueId: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    ownerPeer: fc.string({ maxLength: 60 }),
    ownerKey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    tokenHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    nextSeq: fc.maxSafeNat(), headSeq: fc.maxSafeNat(), count: fc.nat(), bytes: fc.maxSafeNat(), createdAt: fc.maxSafeNat(), touchedAt: fc.maxSafeNat()
  }), (q: QueueRecord) => {
    return isDeepStrictEqual({ ...decodeQueue(q.queueId, encodeQueue(q)) }, { ...q })
  }), { numRuns: 500 })
  const v = encodeQueue({ queueId: new Uint8Array(16), ownerPeer: 'x', ownerKey: new Uint8Array(32), tokenHash: new Uint8Array(32), nextSeq: 0, headSeq: 0, count: 0, bytes: 0, createdAt: 0, touchedAt: 0 })
  v[0] = 2
  t.throws(() => decodeQueue(new Uint8Array(16), v))
})

t.test('the owner signature binds the relay, the client and the challenge', async t => {
  const rng = seededRng('mailbox-auth')
  const k = ed25519KeyPair(rng)
  const relay = rng(38); const client = rng(38); const ch = rng(32)
  const s = signAuth(k.secretKey, relay, client, ch)
  t.ok(verifyAuth(k.publicKey, s, relay, client, ch))
  t.notOk(verifyAuth(k.publicKey, s, client, relay, ch), 'relay and client swapped')
  t.notOk(verifyAuth(k.publicKey, s, rng(38), client, ch), 'another relay')
  t.notOk(verifyAuth(k.publicKey, s, relay, rng(38), ch), 'another client')
  t.notOk(verifyAuth(k.publicKey, s, relay, client, rng(32)), 'another challenge')
  t.notOk(verifyAuth(ed25519KeyPair(rng).publicKey, s, relay, client, ch), 'another key')
  t.notOk(verifyAuth(k.publicKey, s.subarray(0, 63), relay, client, ch), 'short signature')
  t.equal(new TextDecoder().decode(authMessage(relay, client, ch).subarray(0, 19)), 'Tern/v1/MailboxAuth')
})

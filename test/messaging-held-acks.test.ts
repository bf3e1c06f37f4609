/**
 * Held acks (PROTOCOL.md §12.3, node/messaging/held-acks.ts): a receiver writes the acks of the frames it handled
 * within ACK_HOLD_MS as one write, in frame order, and still writes them all before a REJECTED, a close or a stop.
 * On a real libp2p connection, then HeldAcks alone against a stream double (its limit and backpressure).
 */
import '../node/polyfill.js'
import t, { type Test } from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Stream } from '@libp2p/interface'
import {
  AckStatus, FrameDecoder, MAX_HELD_ACKS, MSG_PROTOCOL, decodeAck, encodeFrame, type MessagingInit
} from '../node/messaging/index.js'
import { HeldAcks } from '../node/messaging/held-acks.js'
import { ENVELOPE_VERSION } from '../protocol/envelope/constants.js'
import { startMsgPair, type MsgPair } from './helpers/msg-pair.js'

/** The pair, its server's handler taking 1 ms per frame; `got` then holds the frames' second bytes. */
async function startPair (t: Test, init: MessagingInit = {}): Promise<MsgPair & { ids: () => number[] }> {
  const p = await startMsgPair(t, init)
  p.server.services.messaging.setHandler(async (f) => { await sleep(1); p.got.push(f.envelope) })
  return { ...p, ids: () => p.got.map(e => e[1]) }
}

const envelope = (n: number): Uint8Array => Uint8Array.of(ENVELOPE_VERSION, n, 0xaa)

/** Every chunk the stream delivers, as it came, and the ack statuses decoded from them, until `n` acks or `ms`. */
async function readAcks (stream: Stream, n: number, ms = 5000): Promise<{ chunks: number, statuses: number[] }> {
  const decoder = new FrameDecoder(2)
  const statuses: number[] = []
  let chunks = 0
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`only ${statuses.length} of ${n} acks within ${ms} ms`)) }, ms)
    stream.addEventListener('message', (e) => {
      chunks++
      const bytes = e.data instanceof Uint8Array ? e.data : e.data.subarray()
      for (const f of decoder.push(bytes)) statuses.push(decodeAck(f))
      if (statuses.length >= n) { clearTimeout(timer); resolve({ chunks, statuses }) }
    })
  })
}

t.test('the acks of frames handled within the hold go out as one write, in order', async t => {
  const p = await startPair(t, { ackHoldMs: 200 })
  const s = await p.conn.newStream(MSG_PROTOCOL)
  const acks = readAcks(s, 5)
  const t0 = Date.now()
  s.send(new Uint8Array([0, 1, 2, 3, 4].flatMap(i => [...encodeFrame(envelope(i))])))
  const { chunks, statuses } = await acks
  const ms = Date.now() - t0
  t.same(statuses, [0, 0, 0, 0, 0], 'five OK acks')
  t.equal(chunks, 1, 'in one chunk')
  t.ok(ms >= 150, `held (${ms} ms, hold 200 ms)`)
  t.same(p.ids(), [0, 1, 2, 3, 4], 'frames handled in order, once each')
  await s.close()
})

t.test('with no hold, each ack is written as soon as its frame is handled', async t => {
  const p = await startPair(t, { ackHoldMs: 0 })
  p.server.services.messaging.setHandler(async (f) => { await sleep(30); p.got.push(f.envelope) })
  const s = await p.conn.newStream(MSG_PROTOCOL)
  const acks = readAcks(s, 3)
  s.send(new Uint8Array([0, 1, 2].flatMap(i => [...encodeFrame(envelope(i))])))
  const { chunks, statuses } = await acks
  t.same(statuses, [0, 0, 0])
  t.equal(chunks, 3, 'one chunk per ack (30 ms apart)')
})

t.test('garbage after handled frames: their held acks first, then REJECTED', async t => {
  const p = await startPair(t, { ackHoldMs: 5000 })
  const s = await p.conn.newStream(MSG_PROTOCOL)
  const acks = readAcks(s, 3)
  s.send(new Uint8Array([...encodeFrame(envelope(1)), ...encodeFrame(envelope(2)), ...encodeFrame(Uint8Array.of(0x99, 1))]))
  const { statuses } = await acks
  t.same(statuses, [AckStatus.OK, AckStatus.OK, AckStatus.REJECTED], 'OK, OK, REJECTED, long before the hold ends')
})

t.test('the sender closing its side: the held acks go out before the stream closes', async t => {
  const p = await startPair(t, { ackHoldMs: 5000 })
  const s = await p.conn.newStream(MSG_PROTOCOL)
  const acks = readAcks(s, 2, 3000)
  s.send(new Uint8Array([...encodeFrame(envelope(1)), ...encodeFrame(envelope(2))]))
  await sleep(50)
  const closing = s.close().catch(() => {}) // our write side: the receiver reads the end of the stream
  t.same((await acks).statuses, [0, 0])
  await closing
})

t.test('a real sender: send() resolves when the held ack arrives; a stop writes what it holds', async t => {
  const p = await startPair(t, { ackHoldMs: 100 })
  const t0 = Date.now()
  await p.client.services.messaging.send(p.conn, envelope(7), { signal: AbortSignal.timeout(5000) })
  t.ok(Date.now() - t0 >= 80, `acked after the hold (${Date.now() - t0} ms)`)

  const q = await startPair(t, { ackHoldMs: 60_000 })
  const sent = q.client.services.messaging.send(q.conn, envelope(8), { signal: AbortSignal.timeout(10_000) })
  while (q.got.length === 0) await sleep(5)
  await sleep(20)
  await q.server.services.messaging.stop()
  const t1 = Date.now()
  await t.resolves(sent, 'acked by the stop, not left to the sender\'s deadline')
  t.ok(Date.now() - t1 < 2000)
})

/** A stream double: records writes; send() returns `accept` and onDrain() waits for `drain()`. */
function fakeStream (): { stream: Stream, writes: Uint8Array[], accept: boolean, drain: () => void, aborted: Error[] } {
  let release: () => void = () => {}
  const st = {
    writes: [] as Uint8Array[],
    accept: true,
    aborted: [] as Error[],
    drain: () => { release() },
    stream: undefined as unknown as Stream
  }
  st.stream = {
    send: (b: Uint8Array) => { st.writes.push(b); return st.accept },
    onDrain: async () => { await new Promise<void>(resolve => { release = resolve }) },
    abort: (e: Error) => { st.aborted.push(e) }
  } as unknown as Stream
  return st
}

t.test('HeldAcks: MAX_HELD_ACKS held are written at once; a full stream holds back the next ack until it drains', async t => {
  const f = fakeStream()
  const acks = new HeldAcks(f.stream, 60_000)
  for (let i = 0; i < MAX_HELD_ACKS - 1; i++) await acks.add(AckStatus.OK)
  t.equal(f.writes.length, 0, 'held below the limit')
  f.accept = false
  await acks.add(AckStatus.RETRY)
  t.equal(f.writes.length, 1, 'written at the limit, as one write')
  t.equal(f.writes[0].length, 3 * MAX_HELD_ACKS)
  t.same([...f.writes[0].subarray(-3)], [2, 1, AckStatus.RETRY], 'the last frame is the last ack')

  let added = false
  const next = acks.add(AckStatus.OK).then(() => { added = true })
  await sleep(20)
  t.notOk(added, 'waits for the drain')
  f.accept = true
  f.drain()
  await next
  t.ok(added)
  t.equal(acks.size, 1)
  acks.settle()
  t.equal(f.writes.length, 2, 'settle() writes what is held')
  t.equal(acks.size, 0)
})

t.test('HeldAcks: a write the stream refuses at the end of the hold aborts the stream', async t => {
  const f = fakeStream()
  f.stream.send = () => { throw new Error('closed') }
  const acks = new HeldAcks(f.stream, 5)
  await acks.add(AckStatus.OK)
  await sleep(30)
  t.equal(f.aborted.length, 1, 'aborted')
  t.doesNotThrow(() => { acks.settle() }, 'settle() never throws')
})

/**
 * /tern/msg/1.0.0 against hostile peers on a real libp2p connection (PROTOCOL.md §12.2, §12.4): a raw client sends
 * an unterminated length prefix, an over-size length, a stalled or trickled partial frame, an idle stream, garbage,
 * pipelined frames; each closes only its own stream, promptly, and a valid envelope on a new stream of the same
 * connection is still acked. A hostile receiver that answers with a bad prefix fails the sender at once.
 */
import '../node/polyfill.js'
import t, { type Test } from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Connection, Stream } from '@libp2p/interface'
import { createLibp2p, type Libp2p } from 'libp2p'
import {
  AckStatus, FrameReader, MAX_FRAME_BYTES, MSG_PROTOCOL, decodeAck, encodeAck, encodeFrame, encodeLength, messaging,
  type MessagingInit, type MessagingService
} from '../node/messaging/index.js'
import { ENVELOPE_VERSION } from '../protocol/envelope/constants.js'
import { LOOPBACK_BASE, startMsgPair, type MsgNode, type MsgPair } from './helpers/msg-pair.js'

const envelope = (n: number): Uint8Array => Uint8Array.of(ENVELOPE_VERSION, n, 0xaa, 0xbb)
const inboundCount = (n: MsgNode): number => (n.services.messaging as unknown as { inbound: Set<Stream> }).inbound.size

/** ms until the stream closes (for any reason), or -1 if it is still open after `ms`. */
async function closesWithin (stream: Stream, ms: number, t0 = Date.now()): Promise<number> {
  if (stream.status !== 'open') return Date.now() - t0
  return await new Promise(resolve => {
    const timer = setTimeout(() => { resolve(-1) }, ms)
    stream.addEventListener('close', () => { clearTimeout(timer); resolve(Date.now() - t0) }, { once: true })
  })
}

/** Sends raw bytes, ignoring a reset (the receiver is expected to cut us off). */
function sendRaw (stream: Stream, bytes: Uint8Array): void {
  try { stream.send(bytes) } catch {}
}

/** A valid envelope on a new stream of the same connection is still acked and handled. */
async function stillServes (t: Test, p: MsgPair, n: number): Promise<void> {
  await p.client.services.messaging.send(p.conn, envelope(n), { signal: AbortSignal.timeout(5000) })
  t.ok(p.got.some(e => e[1] === n), `envelope ${n} handled after the hostile stream`)
  t.equal(p.conn.status, 'open', 'the connection stays open')
}

t.test('unterminated varint prefix (0x80 forever): the stream is aborted at the prefix bound, not after a timeout', async t => {
  const p = await startMsgPair(t) // default idle (60 s) and frame (20 s) timeouts: only the prefix bound can close it
  const s = await p.conn.newStream(MSG_PROTOCOL)
  sendRaw(s, Uint8Array.of(0x80, 0x80))
  t.equal(await closesWithin(s, 300), -1, 'two continuation bytes: still a legal partial prefix')
  sendRaw(s, Uint8Array.of(0x80))
  const ms = await closesWithin(s, 3000)
  t.ok(ms >= 0 && ms < 3000, `closed ${ms} ms after the third continuation byte`)
  t.not(s.status, 'open')

  // a flood of 0x80 (what used to grow the receiver's heap by ~100 bytes per byte) is cut off within a window
  const flood = await p.conn.newStream(MSG_PROTOCOL)
  const chunk = new Uint8Array(16 * 1024).fill(0x80)
  let sent = 0
  try {
    for (let i = 0; i < 256; i++) { if (!flood.send(chunk)) await flood.onDrain({ signal: AbortSignal.timeout(3000) }); sent += chunk.length }
  } catch {}
  t.ok(await closesWithin(flood, 3000) >= 0, 'flood stream closed')
  t.ok(sent < 1024 * 1024, `flood cut off after ${sent} bytes`)
  await stillServes(t, p, 1)
  t.equal(p.got.length, 1, 'nothing from the hostile streams reached the handler')
})

t.test('over-size length: aborted before any body byte', async t => {
  const p = await startMsgPair(t)
  for (const len of [MAX_FRAME_BYTES + 1, 2 ** 21 - 1]) {
    const s = await p.conn.newStream(MSG_PROTOCOL)
    sendRaw(s, encodeLength(len))
    const ms = await closesWithin(s, 3000)
    t.ok(ms >= 0, `declared ${len}: closed after ${ms} ms without a body`)
  }
  // exactly MAX_FRAME_BYTES is accepted
  const s = await p.conn.newStream(MSG_PROTOCOL)
  const big = new Uint8Array(MAX_FRAME_BYTES); big[0] = ENVELOPE_VERSION; big[1] = 77
  const reader = new FrameReader(s, { maxFrameBytes: 2 })
  sendRaw(s, encodeFrame(big))
  t.equal(decodeAck((await reader.next({ signal: AbortSignal.timeout(5000) }))!), AckStatus.OK, 'a MAX_FRAME_BYTES frame is acked OK')
  await stillServes(t, p, 2)
})

t.test('stalled or trickled partial frame: aborted after the frame timeout', async t => {
  const p = await startMsgPair(t, { frameTimeoutMs: 400 }) // idle timeout stays 60 s
  const stalledBody = await p.conn.newStream(MSG_PROTOCOL)
  const t0 = Date.now()
  sendRaw(stalledBody, encodeFrame(envelope(9)).subarray(0, 3))
  const stalledPrefix = await p.conn.newStream(MSG_PROTOCOL)
  sendRaw(stalledPrefix, Uint8Array.of(0x80))
  const [a, b] = await Promise.all([closesWithin(stalledBody, 5000, t0), closesWithin(stalledPrefix, 5000, t0)])
  t.ok(a >= 350 && a < 5000, `stalled body closed after ${a} ms`)
  t.ok(b >= 350 && b < 5000, `stalled prefix closed after ${b} ms`)

  // one byte every 100 ms of a 104-byte frame would take ~10 s: cut off at the frame timeout
  const trickle = await p.conn.newStream(MSG_PROTOCOL)
  const wire = encodeFrame(new Uint8Array(100).fill(ENVELOPE_VERSION))
  const t1 = Date.now()
  let closedAt = -1
  trickle.addEventListener('close', () => { closedAt = Date.now() - t1 }, { once: true })
  for (const byte of wire) {
    if (closedAt >= 0) break
    sendRaw(trickle, Uint8Array.of(byte))
    await sleep(100)
  }
  t.ok(closedAt >= 350 && closedAt < 2000, `trickled frame closed after ${closedAt} ms`)
  t.equal(p.got.length, 0, 'no partial frame reached the handler')
  await stillServes(t, p, 3)
  // the trickled stream's teardown may still be running on a loaded machine: give it up to 2 s
  for (let i = 0; i < 100 && inboundCount(p.server) > 1; i++) await sleep(20)
  t.equal(inboundCount(p.server), 1, 'only the messaging stream of stillServes is still open on the server')
})

t.test('idle stream closed after the idle timeout; garbage gets REJECTED then the stream is aborted', async t => {
  const p = await startMsgPair(t, { idleTimeoutMs: 300, frameTimeoutMs: 300 })
  const idle = await p.conn.newStream(MSG_PROTOCOL)
  const t0 = Date.now()
  const halfClosed = await new Promise<number>(resolve => { idle.addEventListener('remoteCloseWrite', () => { resolve(Date.now() - t0) }, { once: true }) })
  t.ok(halfClosed >= 250 && halfClosed < 2000, `idle stream half-closed by the receiver after ${halfClosed} ms`)
  const ms = await closesWithin(idle, 5000, t0)
  t.ok(ms >= 500 && ms < 5000, `and aborted after ${ms} ms when the peer does not close its side`)

  // a real sender whose reused stream went idle sends again at once on a fresh stream
  await p.client.services.messaging.send(p.conn, envelope(10), { signal: AbortSignal.timeout(5000) })
  await sleep(800)
  const t1 = Date.now()
  await p.client.services.messaging.send(p.conn, envelope(11), { signal: AbortSignal.timeout(5000) })
  t.ok(Date.now() - t1 < 1000, `send after the idle close took ${Date.now() - t1} ms`)

  const s = await p.conn.newStream(MSG_PROTOCOL)
  const reader = new FrameReader(s, { maxFrameBytes: 2 })
  sendRaw(s, encodeFrame(Uint8Array.of(0x99, 1, 2, 3)))
  const ack = await reader.next({ signal: AbortSignal.timeout(5000) })
  t.equal(decodeAck(ack!), AckStatus.REJECTED, 'garbage: REJECTED')
  t.ok(await closesWithin(s, 3000) >= 0, 'then the stream is closed')

  const empty = await p.conn.newStream(MSG_PROTOCOL)
  const r2 = new FrameReader(empty, { maxFrameBytes: 2 })
  sendRaw(empty, Uint8Array.of(0))
  t.equal(decodeAck((await r2.next({ signal: AbortSignal.timeout(5000) }))!), AckStatus.REJECTED, 'empty frame: REJECTED')
  await stillServes(t, p, 4)
})

t.test('pipelined frames on one stream are all handled and acked in order', async t => {
  const p = await startMsgPair(t)
  p.server.services.messaging.setHandler(async (f) => { await sleep(2); p.got.push(f.envelope) })
  const s = await p.conn.newStream(MSG_PROTOCOL)
  const reader = new FrameReader(s, { maxFrameBytes: 2 })
  const n = 40
  const frames = Array.from({ length: n }, (_, i) => encodeFrame(envelope(i)))
  sendRaw(s, new Uint8Array(frames.flatMap(f => [...f])))
  for (let i = 0; i < n; i++) t.equal(decodeAck((await reader.next({ signal: AbortSignal.timeout(5000) }))!), AckStatus.OK)
  t.same(p.got.map(e => e[1]), Array.from({ length: n }, (_, i) => i), 'in order, exactly once')
  await s.close()
})

t.test('the sender writes a frame without waiting for the acks of those before it (one stream, acks in order)', async t => {
  // a receiver that acks nothing until it has read the second frame (for at most 3 s)
  const server = await createLibp2p({ ...LOOPBACK_BASE, addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] } })
  const client: MsgNode = await createLibp2p({ ...LOOPBACK_BASE, addresses: { listen: [] }, services: { messaging: messaging() } })
  t.teardown(async () => { await client.stop(); await server.stop() })
  let secondBeforeAnyAck: boolean | undefined
  const streams: Stream[] = []
  await server.handle(MSG_PROTOCOL, (stream) => {
    streams.push(stream)
    void (async () => {
      const reader = new FrameReader(stream, { maxFrameBytes: MAX_FRAME_BYTES })
      const ack = (): void => { stream.send(encodeFrame(encodeAck(AckStatus.OK))) }
      const first = await reader.next({ signal: AbortSignal.timeout(5000) })
      const second = await reader.next({ signal: AbortSignal.timeout(3000) }).catch(() => null)
      secondBeforeAnyAck = second !== null
      ack()
      if (second === null) await reader.next({ signal: AbortSignal.timeout(5000) }) // a stop-and-wait sender sends it now
      ack()
      t.same([first?.[1]], [0], 'frame 0 first')
    })().catch(() => {})
  })
  const conn = await client.dial(server.getMultiaddrs()[0])
  const signal = AbortSignal.timeout(10_000)
  await Promise.all([0, 1].map(async n => { await client.services.messaging.send(conn, envelope(n), { signal }) }))
  t.equal(secondBeforeAnyAck, true, 'frame 1 was on the wire before frame 0 was acked')
  t.equal(streams.length, 1, 'one stream')
})

t.test('a hostile receiver answering with an unterminated prefix fails the sender at once', async t => {
  const evil = await createLibp2p({ ...LOOPBACK_BASE, addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] } })
  const client: MsgNode = await createLibp2p({ ...LOOPBACK_BASE, addresses: { listen: [] }, services: { messaging: messaging() } })
  t.teardown(async () => { await client.stop(); await evil.stop() })
  await evil.handle(MSG_PROTOCOL, (stream) => { sendRaw(stream, new Uint8Array(4096).fill(0x80)) })
  const conn = await client.dial(evil.getMultiaddrs()[0])
  const t0 = Date.now()
  await t.rejects(client.services.messaging.send(conn, envelope(5), { signal: AbortSignal.timeout(10_000) }), { code: 'ERR_MSG_PROTOCOL', reason: 'prefix-too-long' })
  t.ok(Date.now() - t0 < 3000, 'long before the ack deadline')
  t.equal(conn.status, 'open')
})

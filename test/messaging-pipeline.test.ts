/**
 * MessagingService.send's pipelining (node/messaging/messaging.ts, PROTOCOL.md §12.1), as a unit on a scripted
 * stream: acks are paired with frames by order, so once a frame may be on the wire without its ack being read, no
 * later frame goes on that stream and no ack is read from it (an ack must never be taken for another frame's).
 * Real hosts and real streams: messaging-hostile.test.ts.
 */
import t from 'tap'
import type { Connection, Stream } from '@libp2p/interface'
import { AckStatus, MessagingService, encodeAck, encodeFrame } from '../node/messaging/index.js'
import { ENVELOPE_VERSION } from '../protocol/envelope/constants.js'

const envelope = (n: number): Uint8Array => Uint8Array.of(ENVELOPE_VERSION, n)

/** A deadline on a ref'd timer (AbortSignal.timeout's is unref'd: nothing else keeps this process alive). */
function deadline (ms: number): AbortSignal {
  const c = new AbortController()
  setTimeout(() => { c.abort(new Error('deadline')) }, ms)
  return c.signal
}

/** A stream whose writes report a full buffer while `full`, and whose drain waits until the caller's signal aborts. */
class ScriptedStream extends EventTarget {
  status = 'open'
  full = false
  readonly sent: Uint8Array[] = []
  send (data: { subarray: () => Uint8Array }): boolean {
    if (this.status !== 'open') throw new Error('stream closed')
    this.sent.push(data.subarray())
    return !this.full
  }

  async onDrain (opts?: { signal?: AbortSignal }): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      opts?.signal?.addEventListener('abort', () => { reject(new Error('drain aborted')) }, { once: true })
      this.addEventListener('close', () => { reject(new Error('stream closed')) }, { once: true })
    })
  }

  /** The receiver's side: an ack frame arrives. */
  ack (status: Parameters<typeof encodeAck>[0] = AckStatus.OK): void {
    const e = new Event('message') as Event & { data: Uint8Array }
    e.data = encodeFrame(encodeAck(status))
    this.dispatchEvent(e)
  }

  abort (err: Error): void {
    if (this.status !== 'open') return
    this.status = 'aborted'
    const e = new Event('close') as Event & { error: Error }
    e.error = err
    this.dispatchEvent(e)
  }

  async close (): Promise<void> { this.abort(new Error('closed')) }
  pause (): void {}
  resume (): void {}
}

function setup (): { service: MessagingService, conn: Connection, streams: ScriptedStream[] } {
  const streams: ScriptedStream[] = []
  const conn = {
    id: 'conn-1',
    newStream: async () => { const s = new ScriptedStream(); streams.push(s); return s as unknown as Stream }
  } as unknown as Connection
  const service = new MessagingService({ registrar: { handle: async () => {}, unhandle: async () => {} } })
  return { service, conn, streams }
}

/** Opens the stream with a first frame, acked. */
async function firstExchange (service: MessagingService, conn: Connection, streams: ScriptedStream[]): Promise<void> {
  const first = service.send(conn, envelope(0), { signal: deadline(5000) })
  await new Promise(resolve => setImmediate(resolve))
  streams[0].ack()
  await first
}

t.test('a frame that timed out while its write waited for the drain: the next frame is not paired with its ack', async t => {
  const { service, conn, streams } = setup()
  await firstExchange(service, conn, streams)
  // frame 1 is buffered (on its way) but its drain wait outlasts its deadline; frame 2 is queued behind it
  streams[0].full = true
  const one = service.send(conn, envelope(1), { signal: deadline(50) })
  const two = service.send(conn, envelope(2), { signal: deadline(5000) })
  await new Promise(resolve => setImmediate(resolve))
  streams[0].full = false
  // the receiver had frame 1 and acks it before frame 1's deadline: that ack must not be taken for frame 2's
  streams[0].ack()
  await t.rejects(one, { code: 'ERR_ACK_TIMEOUT' })
  const tick = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }
  await tick(); await tick()
  t.equal(streams[0].sent.length, 2, 'nothing was written on that stream after frame 1')
  t.equal(streams[0].status, 'aborted', 'the stream is given up')
  t.equal(streams.length, 2, 'frame 2, never written there, went on a fresh stream')
  t.same(streams[1].sent.map(b => b[b.length - 1]), [2])
  let settled = false
  two.then(() => { settled = true }, () => { settled = true })
  await tick()
  t.notOk(settled, 'frame 2 waits for its own ack: it did not take frame 1\'s')
  streams[1].ack()
  await two
  // later sends use the fresh stream
  const three = service.send(conn, envelope(3), { signal: deadline(5000) })
  await tick()
  t.equal(streams.length, 2)
  streams[1].ack()
  await three
})

t.test('a frame whose ack timed out: the frame behind it does not take that ack when it comes late', async t => {
  const { service, conn, streams } = setup()
  const one = service.send(conn, envelope(1), { signal: deadline(50) })
  const two = service.send(conn, envelope(2), { signal: deadline(5000) })
  await t.rejects(one, { code: 'ERR_ACK_TIMEOUT' })
  streams[0].ack() // frame 1's ack, late
  await t.rejects(two)
  t.equal(streams[0].status, 'aborted')
})

t.test('a refused frame consumed its ack: the stream stays in use and the next frame gets its own', async t => {
  const { service, conn, streams } = setup()
  const one = service.send(conn, envelope(1), { signal: deadline(5000) })
  const two = service.send(conn, envelope(2), { signal: deadline(5000) })
  await new Promise(resolve => setImmediate(resolve))
  t.equal(streams[0].sent.length, 2, 'both frames written before any ack')
  streams[0].ack(AckStatus.RETRY)
  streams[0].ack(AckStatus.OK)
  await t.rejects(one, { code: 'ERR_PEER_REFUSED' })
  await two
  t.equal(streams[0].status, 'open')
})

t.test('a frame whose deadline passed before its turn consumes no ack and does not give up the stream', async t => {
  const { service, conn, streams } = setup()
  await firstExchange(service, conn, streams)
  const gone = AbortSignal.abort()
  const unsent = service.send(conn, envelope(1), { signal: gone })
  const two = service.send(conn, envelope(2), { signal: deadline(5000) })
  await t.rejects(unsent, { code: 'ERR_ACK_TIMEOUT' })
  await new Promise(resolve => setImmediate(resolve))
  t.equal(streams[0].sent.length, 2, 'frames 0 and 2 written, not 1')
  streams[0].ack()
  await two
  t.equal(streams[0].status, 'open')
})

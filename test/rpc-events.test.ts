/**
 * Events (docs/API.md §Events): the EventSource contract, replay after a cursor with appends landing during the replay
 * (no gap, no duplicate, in order) through every path — queue, queue overflow, congestion — then over the wire with a
 * client that reconnects and resumes after its last cursor, and a subscriber that does not read.
 */
import t, { type Test } from 'tap'
import {
  MemoryEventSource, Subscription, connect, RpcErrorCode, type EventSink, type StoredEvent
} from '../node/rpc/index.js'
import { eventSourceCompliance, RawConn, startServer } from './rpc-helpers.js'

eventSourceCompliance(t, 'MemoryEventSource', async () => {
  const source = new MemoryEventSource()
  return { source, append: (type, data) => source.append(type, data) }
})

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** A sink that records cursors and can pretend to be congested. */
function recordingSink (congestion = 0): EventSink & { got: number[], done: (n: number) => Promise<void> } {
  const got: number[] = []
  let congested = false
  let waiters: Array<() => void> = []
  const sink = {
    got,
    send: (e: StoredEvent) => {
      got.push(e.cursor)
      if (Math.random() < congestion) {
        congested = true
        setTimeout(() => { congested = false; const w = waiters; waiters = []; for (const f of w) f() }, 1)
      }
    },
    congested: () => congested,
    drained: async () => { if (congested) await new Promise<void>(resolve => waiters.push(resolve)) },
    closed: () => false,
    fail: () => { throw new Error('failed') },
    done: async (n: number) => { while (got.length < n) await sleep(2) }
  }
  return sink
}

function assertExact (t: Test, got: number[], from: number, to: number): void {
  const expected = Array.from({ length: to - from }, (_, i) => from + 1 + i)
  t.equal(got.length, expected.length, 'count')
  t.ok(got.every((c, i) => c === expected[i]), `every cursor ${from + 1}..${to} exactly once, in order`)
}

for (const [label, opts, congestion] of [
  ['queue path', { pageSize: 100 }, 0],
  ['queue overflow path', { pageSize: 50, maxQueue: 5 }, 0],
  ['congested sink', { pageSize: 64, maxQueue: 20 }, 0.05]
] as const) {
  t.test(`replay while appending: ${label}`, async t => {
    const src = new MemoryEventSource()
    for (let i = 0; i < 3000; i++) src.append('message.received', { i })
    src.readDelayMs = 1
    const sink = recordingSink(congestion)
    const sub = new Subscription(src, sink, opts)
    t.equal(await sub.open(1000), 1000)
    sub.run()
    // Append 2000 more in bursts while the replay runs.
    for (let b = 0; b < 40; b++) {
      for (let i = 0; i < 50; i++) src.append('message.status', { b, i })
      await sleep(Math.random() * 3)
    }
    await sink.done(4000)
    await sleep(20)
    assertExact(t, sink.got, 1000, 5000)
    for (let i = 0; i < 100; i++) src.append('node.status', {})
    await sink.done(4100)
    assertExact(t, sink.got, 1000, 5100)
    sub.stop()
    t.equal(src.listenerCount, 0, 'stop unsubscribes')
  })
}

t.test('subscribe without after starts at the head', async t => {
  const src = new MemoryEventSource()
  for (let i = 0; i < 10; i++) src.append('x', {})
  const sink = recordingSink()
  const sub = new Subscription(src, sink)
  t.equal(await sub.open(), 10)
  sub.run()
  src.append('x', {})
  await sink.done(1)
  t.same(sink.got, [11])
  sub.stop()
  const ahead = new Subscription(src, recordingSink())
  t.equal(await ahead.open(1_000_000), 11, 'a cursor beyond the head is clamped to it')
  ahead.stop()
})

t.test('a slow consumer is failed after the timeout', async t => {
  const src = new MemoryEventSource()
  let failed = ''
  const sink: EventSink = {
    send: () => {},
    congested: () => true,
    drained: async () => { await new Promise(() => {}) },
    closed: () => false,
    fail: reason => { failed = reason }
  }
  const sub = new Subscription(src, sink, { slowConsumerTimeoutMs: 50 })
  await sub.open(0)
  sub.run()
  await sleep(120)
  t.equal(failed, 'slow consumer')
  t.ok(sub.stopped)
})

t.test('over the wire: replay, live, reconnect after the last cursor, no gap, no duplicate', async t => {
  const src = new MemoryEventSource()
  for (let i = 0; i < 500; i++) src.append('message.received', { i })
  const { socketPath, server } = await startServer(t, { events: src })
  const client = await connect({ socketPath, reconnectMinDelayMs: 10 })
  t.teardown(async () => { await client.close() })
  const got: number[] = []
  client.on('event', e => { got.push(e.cursor) })
  const res = await client.subscribe(0)
  t.same(res, { cursor: 0 })
  const appender = (async () => {
    for (let i = 0; i < 1500; i++) {
      src.append('message.status', { i })
      if (i % 100 === 0) await sleep(2)
    }
  })()
  // Drop the connection twice while events flow.
  await sleep(5)
  ;(client as unknown as { socket: { destroy: () => void } }).socket.destroy()
  await new Promise(resolve => client.once('reconnect', resolve))
  await sleep(5)
  ;(client as unknown as { socket: { destroy: () => void } }).socket.destroy()
  await new Promise(resolve => client.once('reconnect', resolve))
  await appender
  while (got.length < 2000) await sleep(5)
  await sleep(30)
  assertExact(t, got, 0, 2000)
  t.equal(client.lastCursor, 2000)
  t.ok(server.connectionCount() >= 1)
})

t.test('over the wire: notifications follow the subscribe answer; unsubscribe stops them', async t => {
  const src = new MemoryEventSource()
  src.append('contact.added', { contact: { id: 'c1' } })
  const { socketPath } = await startServer(t, { events: src })
  const c = await RawConn.open(socketPath)
  t.teardown(() => { c.close() })
  const r = await c.call('events.subscribe', { after: 0 })
  t.same(r.result, { cursor: 0 }, 'the answer comes first')
  t.same(await c.next(), { jsonrpc: '2.0', method: 'event', params: { cursor: 1, type: 'contact.added', data: { contact: { id: 'c1' } } } })
  src.append('contact.presence', { id: 'c1', online: true, lastSeen: 5 })
  t.equal((await c.next()).params.cursor, 2)
  t.same((await c.call('events.unsubscribe', undefined, 2)).result, { ok: true })
  t.equal(src.listenerCount, 0)
  src.append('node.status', {})
  t.same((await c.call('events.subscribe', {}, 3)).result, { cursor: 3 }, 'resubscribe from now')
  t.equal(src.listenerCount, 1, 'one listener per connection')
  t.same((await c.call('events.subscribe', { after: -1 }, 4)).error.code, RpcErrorCode.INVALID_PARAMS)
  c.close()
  await c.closed
  // the server sees the close a moment later (longer on a loaded machine): up to 2 s
  for (let i = 0; i < 100 && src.listenerCount > 0; i++) await sleep(20)
  t.equal(src.listenerCount, 0, 'closing the connection unsubscribes')
})

t.test('over the wire: a subscriber that does not read is disconnected; memory bounded; others get everything', async t => {
  const src = new MemoryEventSource()
  const { socketPath, server } = await startServer(t, { events: src, limits: { highWaterBytes: 32 * 1024, slowConsumerTimeoutMs: 200 } })
  const hog = await RawConn.open(socketPath)
  t.same((await hog.call('events.subscribe', { after: 0 })).result, { cursor: 0 })
  hog.socket.pause()
  const good = await connect({ socketPath })
  t.teardown(async () => { await good.close(); hog.close() })
  let n = 0
  good.on('event', () => { n++ })
  await good.subscribe(0)
  const text = 'x'.repeat(4000)
  const rss = process.memoryUsage().rss
  for (let i = 0; i < 5000; i++) {
    src.append('message.received', { text })
    if (i % 200 === 0) await sleep(1)
  }
  // The hog cannot see the close while it is paused: watch from the server's side.
  while (server.connectionCount() > 1) await sleep(10)
  t.pass('the hog was disconnected')
  while (n < 5000) await sleep(5)
  t.equal(n, 5000, 'the reading subscriber got all 5000')
  t.ok(process.memoryUsage().rss - rss < 100 * 1024 * 1024, 'memory bounded (events are 20 MB in total)')
})

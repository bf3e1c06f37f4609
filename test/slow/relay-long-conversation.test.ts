/**
 * A long chat through the relay on its DEFAULT limits (PROTOCOL.md §9): two stock libp2p peers that can reach each
 * other only through a real `tern relay` process exchange 10 MiB over more than 5 minutes, all on one relayed
 * connection. libp2p's own defaults (128 KiB, 120 s per relayed connection) would cut this conversation after
 * about two minutes; the test checks every few seconds that the connection is the same one, open and relayed.
 */
import '../../node/polyfill.js'
import { createHash } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import type { Connection, Stream } from '@libp2p/interface'
import t from 'tap'
import { spawnRelay } from '../helpers/relay-process.js'

const CHAT = '/test/chat/1.0.0'
/** wall-clock length of the conversation, ms (≥ 5 min) */
const DURATION_MS = Number(process.env.TERN_SLOW_CHAT_MS ?? 5 * 60_000 + 15_000)
/** bytes sent by each side: 5 MiB each, 10 MiB in all */
const PER_SIDE_BYTES = 5 * 1024 * 1024
const MESSAGE_BYTES = 4096
const MESSAGES_PER_SIDE = PER_SIDE_BYTES / MESSAGE_BYTES

t.setTimeout(DURATION_MS + 120_000)

async function peer (listen: string[]): Promise<Libp2p<{ identify: unknown, ping: unknown }>> {
  return await createLibp2p({
    // no TCP listen address: nobody can dial these peers directly
    addresses: { listen },
    transports: [tcp(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), ping: ping() }
  })
}

/** message i of a side: 4-byte seq, then bytes derived from (side, seq) */
function message (side: string, seq: number): Uint8Array {
  const out = new Uint8Array(MESSAGE_BYTES)
  new DataView(out.buffer).setUint32(0, seq)
  let block = createHash('sha256').update(`${side}/${seq}`).digest()
  for (let off = 4; off < MESSAGE_BYTES; off += 32) {
    out.set(block.subarray(0, Math.min(32, MESSAGE_BYTES - off)), off)
    block = createHash('sha256').update(block).digest()
  }
  return out
}

/** Sends this side's messages paced over the duration, and checks the other side's, in order and intact. */
async function converse (stream: Stream, me: string, them: string, startedAt: number): Promise<{ received: number, sentBytes: number }> {
  let pending = new Uint8Array(0)
  let received = 0
  const reader = (async () => {
    for await (const chunk of stream) {
      const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray()
      const joined = new Uint8Array(pending.byteLength + bytes.byteLength)
      joined.set(pending); joined.set(bytes, pending.byteLength)
      let off = 0
      while (joined.byteLength - off >= MESSAGE_BYTES) {
        const got = joined.subarray(off, off + MESSAGE_BYTES)
        const want = message(them, received)
        if (Buffer.compare(Buffer.from(got), Buffer.from(want)) !== 0) throw new Error(`${me}: message ${received} from ${them} corrupted or out of order`)
        received++
        off += MESSAGE_BYTES
      }
      pending = joined.slice(off)
      if (received === MESSAGES_PER_SIDE) break
    }
  })()
  let sentBytes = 0
  const interval = DURATION_MS / MESSAGES_PER_SIDE
  for (let seq = 0; seq < MESSAGES_PER_SIDE; seq++) {
    const due = startedAt + seq * interval
    const wait = due - Date.now()
    if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait))
    if (!stream.send(message(me, seq))) await stream.onDrain()
    sentBytes += MESSAGE_BYTES
  }
  await reader
  return { received, sentBytes }
}

t.test('10 MiB over 5+ minutes on one relayed connection, default relay limits', async t => {
  const relay = await spawnRelay() // default config: only the listen address is set (127.0.0.1, tcp/0)
  t.teardown(relay.cleanup)

  const a = await peer([`${relay.addrs[0]}/p2p-circuit`])
  t.teardown(async () => { await a.stop() })
  const b = await peer([])
  t.teardown(async () => { await b.stop() })
  const circuit = a.getMultiaddrs().map(String).find(m => m.includes('/p2p-circuit'))
  t.ok(circuit !== undefined, 'A holds a reservation')
  t.notOk(a.getMultiaddrs().some(m => !m.toString().includes('/p2p-circuit')), 'A has no direct address')

  const streamAtA = new Promise<Stream>(resolve => {
    void a.handle(CHAT, (stream) => { resolve(stream) }, { runOnLimitedConnection: true })
  })
  const startedAt = Date.now() + 500
  const streamAtB = await b.dialProtocol(multiaddr(circuit as string), CHAT, { runOnLimitedConnection: true })
  const sa = await streamAtA

  const connOf = (n: Libp2p, other: Libp2p): Connection[] => n.getConnections(other.peerId)
  const connB = connOf(b, a)[0]
  const connA = connOf(a, b)[0]
  t.match(connB.remoteAddr.toString(), /\/p2p-circuit\//, 'B reaches A through the relay')
  t.match(connA.remoteAddr.toString(), /\/p2p-circuit\//, 'A sees B through the relay')
  t.ok(connB.limits !== undefined && connA.limits !== undefined, 'the connection is limited (relayed with limits)')
  const ids = { a: connA.id, b: connB.id }
  const problems: string[] = []
  let checks = 0
  const watch = setInterval(() => {
    checks++
    for (const [n, other, id, side] of [[a, b, ids.a, 'A'], [b, a, ids.b, 'B']] as const) {
      const cs = connOf(n, other)
      if (cs.length !== 1 || cs[0].id !== id || cs[0].status !== 'open') {
        problems.push(`${side} at +${Math.round((Date.now() - startedAt) / 1000)} s: ${cs.map(c => `${c.id}:${c.status}`).join(',') || 'no connection'}`)
      }
    }
  }, 5000)
  t.teardown(() => { clearInterval(watch) })

  const [ra, rb] = await Promise.all([
    converse(sa, 'A', 'B', startedAt),
    converse(streamAtB, 'B', 'A', startedAt)
  ])
  const elapsed = Date.now() - startedAt
  clearInterval(watch)
  t.equal(ra.received, MESSAGES_PER_SIDE, 'A received every message of B')
  t.equal(rb.received, MESSAGES_PER_SIDE, 'B received every message of A')
  t.equal(ra.sentBytes + rb.sentBytes, 10 * 1024 * 1024, '10 MiB exchanged')
  t.ok(elapsed >= 5 * 60_000 || process.env.TERN_SLOW_CHAT_MS !== undefined, `lasted ${Math.round(elapsed / 1000)} s`)
  t.same(problems, [], `the same relayed connection all along (${checks} checks)`)
  t.equal(connOf(b, a)[0]?.id, ids.b, 'connection id unchanged at the end')
  t.match(connOf(b, a)[0]?.remoteAddr.toString() ?? '', /\/p2p-circuit\//, 'still relayed at the end')
  await Promise.all([sa.close(), streamAtB.close()])
  t.equal(await relay.stop(), 0)
})

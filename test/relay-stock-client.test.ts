/**
 * A stock libp2p client, built only from @libp2p modules (no Tern code but the polyfill and the process helper),
 * against a real `tern relay` process: identify, ping, a circuit relay v2 reservation, a second stock client reaching
 * the first through it, and garbage on the mailbox protocol (PROTOCOL.md §9).
 */
import '../node/polyfill.js'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { createLibp2p } from 'libp2p'
import t from 'tap'
import { spawnRelay } from './helpers/relay-process.js'

const HOP = '/libp2p/circuit/relay/0.2.0/hop'
const KAD = '/tern/kad/1.0.0'
const MAILBOX = '/tern/mailbox/1.0.0'
const ECHO = '/test/echo/1.0.0'

async function stockClient (listen: string[] = []) {
  return await createLibp2p({
    addresses: { listen },
    transports: [tcp(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { inboundConnectionThreshold: 1000 },
    services: { identify: identify(), ping: ping() }
  })
}

async function within<T> (ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([p, new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), ms) })])
  } finally {
    clearTimeout(timer)
  }
}

t.test('stock clients: identify, ping, reservation, relayed echo, mailbox garbage', async t => {
  const relay = await spawnRelay({ args: ['--metrics', '127.0.0.1:0'] })
  t.teardown(relay.cleanup)
  const relayAddr = multiaddr(relay.addrs[0])
  const relayId = peerIdFromString(relay.peerId)

  // A listens on <relay>/p2p-circuit: it dials the relay and makes a reservation
  const a = await stockClient([`${relay.addrs[0]}/p2p-circuit`])
  t.teardown(async () => { await a.stop() })
  const circuitAddr = await within(10_000, 'reservation', new Promise<string>(resolve => {
    const check = (): boolean => {
      const c = a.getMultiaddrs().map(m => m.toString()).find(m => m.includes('/p2p-circuit'))
      if (c !== undefined) { resolve(c); return true }
      return false
    }
    if (!check()) a.addEventListener('self:peer:update', () => { check() })
  }))
  t.match(circuitAddr, new RegExp(`/p2p/${relay.peerId}/p2p-circuit/p2p/${a.peerId.toString()}$`), 'reserved a circuit address')

  // identify: the relay's protocols reached the peer store
  const protocols = await within(10_000, 'identify', (async () => {
    for (;;) {
      const p = await a.peerStore.get(relayId).then(x => x.protocols, () => [] as string[])
      if (p.includes(HOP)) return p
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  })())
  t.comment(`relay protocols: ${protocols.join(' ')}`)
  t.ok(protocols.includes(KAD), `relay speaks ${KAD}`)
  t.ok(protocols.includes(HOP), 'relay speaks the circuit v2 hop protocol')
  t.ok(protocols.includes('/ipfs/ping/1.0.0'), 'relay speaks ping')
  t.ok(protocols.includes('/ipfs/id/1.0.0'), 'relay speaks identify')
  t.notOk(protocols.includes('/ipfs/kad/1.0.0'), 'not on the IPFS DHT')
  t.ok(protocols.includes(MAILBOX), `relay speaks ${MAILBOX}`)

  // ping
  const rtt = await a.services.ping.ping(relayAddr)
  t.ok(rtt >= 0, `ping ${rtt} ms`)

  // B reaches A through the relay
  await a.handle(ECHO, async (stream) => {
    for await (const chunk of stream) {
      if (!stream.send(chunk)) await stream.onDrain()
    }
    await stream.close()
  }, { runOnLimitedConnection: true })
  const b = await stockClient()
  t.teardown(async () => { await b.stop() })
  const s = await b.dialProtocol(multiaddr(circuitAddr), ECHO, { runOnLimitedConnection: true })
  const conn = b.getConnections(a.peerId)[0]
  t.ok(conn !== undefined, 'B has a connection to A')
  t.match(conn.remoteAddr.toString(), /\/p2p-circuit\//, 'the connection is relayed')
  t.ok(conn.limits !== undefined, 'the relayed connection carries the relay limits')
  const payload = new Uint8Array(50_000).map((_v, i) => i & 0xff)
  const received: Uint8Array[] = []
  let got = 0
  const reader = (async () => {
    for await (const chunk of s) {
      const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray()
      received.push(bytes)
      got += bytes.byteLength
      if (got >= payload.byteLength) break
    }
  })()
  if (!s.send(payload)) await s.onDrain()
  await within(10_000, 'echo', reader)
  // the relay's metrics see the reservation and the relayed connection
  const started = await relay.waitForLog(o => o.msg === 'started')
  const metrics = await (await fetch(`http://${String(started.metrics)}/metrics`)).text()
  t.match(metrics, /^tern_relay_reservations 1$/m, 'metrics: one reservation')
  t.match(metrics, /^tern_relay_relayed_connections 1$/m, 'metrics: one relayed connection')
  const echoed = Buffer.concat(received)
  t.equal(Buffer.compare(echoed, Buffer.from(payload)), 0, '50 kB echoed intact through the relay')
  await s.close()

  await t.test('garbage on the mailbox protocol closes that stream only', async t => {
    const relayConn = a.getConnections(relayId)[0]
    const connId = relayConn.id
    // a frame of junk, and a length prefix far over any frame limit (100 MB)
    for (const garbage of [Uint8Array.from([5, 0xde, 0xad, 0xbe, 0xef, 0xff]), Uint8Array.from([0x80, 0xc2, 0xd7, 0x2f, 1, 2, 3])]) {
      const ms = await a.dialProtocol(relayAddr, MAILBOX)
      ms.send(garbage)
      const ended = await within(10_000, 'mailbox stream end', (async () => {
        try {
          for await (const _chunk of ms) { /* a status reply, if any, is allowed */ }
          return 'closed'
        } catch (err) {
          return `error ${(err as Error).name}`
        }
      })())
      t.ok(ended === 'closed' || ended.startsWith('error'), `stream ended (${ended})`)
    }
    const still = a.getConnections(relayId).find(c => c.id === connId)
    t.ok(still !== undefined && still.status === 'open', 'the connection stays open')
    const rtt2 = await a.services.ping.ping(relayId)
    t.ok(rtt2 >= 0, 'ping still works on the same connection')
    t.equal(a.getConnections(relayId)[0].id, connId, 'same connection')
    // and the relay keeps serving new peers
    const c = await stockClient()
    t.teardown(async () => { await c.stop() })
    t.ok(await c.services.ping.ping(relayAddr) >= 0, 'the relay serves a new peer')
  })

  t.equal(await relay.stop(), 0, 'relay exits 0 with clients still connected')
})

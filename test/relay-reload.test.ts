/**
 * Runtime reload (SIGHUP path) really changes the circuit relay server's behaviour: `maxReservations` raised from 1
 * to 2 lets a second peer reserve without a restart (bootstrap/relay.ts reload, docs/deploy-relay.md).
 */
import '../node/polyfill.js'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { resolveConfig } from '../bootstrap/config.js'
import { createRelay } from '../bootstrap/relay.js'

const dir = mkdtempSync(join(tmpdir(), 'tern-relay-reload-'))
t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })

async function reserver (relayAddr: string) {
  return await createLibp2p({
    addresses: { listen: [`${relayAddr}/p2p-circuit`] },
    transports: [tcp(), circuitRelayTransport({ reservationCompletionTimeout: 5000 })],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() }
  })
}

t.test('maxReservations applies at runtime', async t => {
  const flags = { data: join(dir, 'data'), listen: ['/ip4/127.0.0.1/tcp/0'] }
  const file = { allowPrivateAddresses: true, relay: { maxReservations: 1 } }
  const relay = await createRelay({ config: resolveConfig(file, flags, {}) })
  t.teardown(async () => { await relay.stop() })
  const addr = relay.addrs()[0]

  const a = await reserver(addr)
  t.teardown(async () => { await a.stop() })
  t.equal(relay.reservations(), 1, 'first peer reserved')
  await t.rejects(reserver(addr), 'second peer refused at maxReservations 1')
  t.equal(relay.reservations(), 1)

  const result = await relay.reload(resolveConfig({ ...file, relay: { maxReservations: 2 }, connections: { maxConnections: 500 } }, flags, {}))
  t.ok(result.applied.includes('relay.maxReservations'))
  t.ok(result.applied.includes('connections.maxConnections'))
  t.same(result.needsRestart, [])
  const b = await reserver(addr)
  t.teardown(async () => { await b.stop() })
  t.equal(relay.reservations(), 2, 'second peer reserved after reload')

  const r2 = await relay.reload(resolveConfig({ ...file, listen: ['/ip4/127.0.0.1/tcp/1'], connections: { connectionMonitor: true } }, { data: flags.data }, {}))
  t.ok(r2.needsRestart.includes('listen') && r2.needsRestart.includes('connections.connectionMonitor'), 'restart-only keys are reported')
})

t.test('linearGetConnections returns what libp2p returned, in linear time', async t => {
  const { linearGetConnections } = await import('../bootstrap/relay.js')
  const connections = new Map<string, string[]>([['p1', ['a', 'b']], ['p2', ['c']]])
  const cm = { connections, getConnections: () => ['unpatched'] }
  t.equal(linearGetConnections(cm), true)
  t.same(cm.getConnections(), ['a', 'b', 'c'])
  t.same((cm.getConnections as (p?: string) => string[])('p1'), ['a', 'b'])
  t.same((cm.getConnections as (p?: string) => string[])('nobody'), [])
  t.equal(linearGetConnections({ getConnections: () => [] }), false, 'unknown shape: left alone')
})

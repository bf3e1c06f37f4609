/**
 * Deposit over a limited (circuit relay v2) connection (PROTOCOL.md §8.1): the mailbox host is reached by the
 * sender only through a relay; the deposit is pushed to the owner, who is connected directly.
 */
import './helpers/mailbox-net.js'
import t from 'tap'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { identify } from '@libp2p/identify'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { createLibp2p } from 'libp2p'
import type { Multiaddr } from '@multiformats/multiaddr'
import { ed25519KeyPair, systemRng, equal } from '../protocol/crypto/index.js'
import { MailboxClient, mailboxServer, type FetchedEnvelope, type MailboxLimits } from '../bootstrap/mailbox/index.js'
import { dbDir, startClient, tempDir } from './helpers/mailbox-net.js'

const common = {
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  connectionManager: { inboundConnectionThreshold: 10_000 },
  connectionMonitor: { enabled: false }
}

t.test('a deposit over a relayed (limited) connection', async t => {
  const dir = tempDir(); t.teardown(dir.cleanup)
  const relay = await createLibp2p({
    ...common,
    transports: [tcp()],
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    services: { identify: identify(), relay: circuitRelayServer({ reservations: { maxReservations: 10 } }) }
  })
  t.teardown(async () => { await relay.stop() })
  const relayAddr = relay.getMultiaddrs()[0]
  const host = await createLibp2p({
    ...common,
    transports: [tcp(), circuitRelayTransport()],
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0', `${relayAddr.toString()}/p2p-circuit`] },
    services: { identify: identify(), mailbox: mailboxServer({ dbPath: dbDir(dir.path), limits: {} as MailboxLimits, allowOwners: 'any' }) }
  })
  t.teardown(async () => { await host.stop() })
  let circuit: Multiaddr | undefined
  for (let i = 0; i < 200 && circuit === undefined; i++) {
    circuit = host.getMultiaddrs().find(a => a.toString().includes('/p2p-circuit'))
    if (circuit === undefined) await new Promise(resolve => setTimeout(resolve, 25))
  }
  t.ok(circuit, 'the host has a relayed address')

  const owner = await startClient()
  t.teardown(async () => { await owner.stop() })
  const oc = new MailboxClient({ libp2p: owner, relay: host.getMultiaddrs().filter(a => !a.toString().includes('/p2p-circuit')), ownerKey: ed25519KeyPair(systemRng) })
  t.teardown(async () => { await oc.close() })
  const cap = await oc.createQueue()
  const pushed: FetchedEnvelope[] = []
  let seen!: () => void
  const got = new Promise<void>(resolve => { seen = resolve })
  const sub = await oc.subscribe([cap.queueId], e => { pushed.push(e); seen() })
  t.teardown(async () => { await sub.close() })

  const sender = await createLibp2p({ ...common, transports: [tcp(), circuitRelayTransport()], services: { identify: identify() } })
  t.teardown(async () => { await sender.stop() })
  const sc = new MailboxClient({ libp2p: sender, relay: circuit!, timeoutMs: 5000 })
  t.teardown(async () => { await sc.close() })
  const envelope = systemRng(2000)
  const r = await sc.deposit(cap, envelope)
  t.equal(r.id, 0)
  const conns = sender.getConnections(host.peerId)
  t.ok(conns.length > 0 && conns.every(c => c.limits != null), 'the only connection to the host is limited (relayed)')
  await got
  t.ok(equal(pushed[0].data, envelope), 'pushed to the owner')
})

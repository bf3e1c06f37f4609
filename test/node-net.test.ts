/**
 * node/net-libp2p.ts over a real relay process: direct and relay-only delivery on /tern/msg/1.0.0 with acks after
 * the handler, mailbox create/deposit/fetch/push/ack, garbage and oversized frames.
 */
import '../node/polyfill.js'
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { spawnRelay } from './helpers/relay-process.js'
import { createNodeHost, reservedRelays } from '../node/host/index.js'
import { Libp2pNet } from '../node/net-libp2p.js'
import { MSG_PROTOCOL, decodeAck, AckStatus } from '../node/messaging/index.js'
import { ed25519KeyPair, systemRng } from '../protocol/crypto/index.js'
import type { InboundEnvelope } from '../node/core/net.js'

const dir = mkdtempSync(join(tmpdir(), 'tern-net-'))
t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
const cfg = join(dir, 'relay.json')
writeFileSync(cfg, JSON.stringify({ allowPrivateAddresses: true }))

async function makeNode (relay: string, relayOnly: boolean): Promise<{ net: Libp2pNet, got: InboundEnvelope[], stop: () => Promise<void>, host: Awaited<ReturnType<typeof createNodeHost>> }> {
  const kp = ed25519KeyPair(systemRng)
  const raw = new Uint8Array(64); raw.set(kp.secretKey); raw.set(kp.publicKey, 32)
  const host = await createNodeHost({ privateKey: privateKeyFromRaw(raw), listen: ['/ip4/127.0.0.1/tcp/0'], relays: [relay], relayOnly, allowPrivateAddresses: true })
  let saved: Uint8Array[] = []
  const net = new Libp2pNet({ host, relays: [relay], relayOnly, ownerKey: ed25519KeyPair(systemRng), queueStore: { load: async () => saved, save: async (q) => { saved = q } } })
  const got: InboundEnvelope[] = []
  net.onEnvelope(async (e) => { got.push(e) })
  await net.start()
  return { net, got, host, stop: async () => { await net.stop(); await host.stop() } }
}

async function until (pred: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

const env = (n: number): Uint8Array => { const b = new Uint8Array(n); b[0] = 1; b[1] = 7; return b }

t.test('direct, relay-only and mailbox delivery', async t => {
  const relay = await spawnRelay({ args: ['--config', cfg] })
  t.teardown(relay.cleanup)
  const r = relay.addrs[0]
  const a = await makeNode(r, false)
  const b = await makeNode(r, false)
  t.teardown(async () => { await a.stop(); await b.stop() })
  await until(() => reservedRelays(a.host).has(relay.peerId) && reservedRelays(b.host).has(relay.peerId))

  const direct = await a.net.sendDirect(b.host.peerId.toString(), env(100), { signal: AbortSignal.timeout(10_000), addresses: b.net.addresses() })
  t.equal(direct.path, 'direct')
  t.equal(b.got.length, 1)
  t.equal(b.got[0].from, a.host.peerId.toString())
  t.equal(b.got[0].path, 'direct')
  const again = await a.net.sendDirect(b.host.peerId.toString(), env(50), { signal: AbortSignal.timeout(10_000) })
  t.equal(again.path, 'direct', 'reuses the connection')
  t.ok(a.net.isConnected(b.host.peerId.toString()))

  // a handler that rejects → no ack OK → the sender's promise rejects
  b.net.onEnvelope(async () => { throw new Error('not now') })
  await t.rejects(a.net.sendDirect(b.host.peerId.toString(), env(10), { signal: AbortSignal.timeout(5_000) }), { code: 'ERR_PEER_REFUSED' })
  b.net.onEnvelope(async (e) => { b.got.push(e) })

  // mailbox: b creates a queue, a deposits, b gets it pushed
  const cap = await b.net.createQueue({ signal: AbortSignal.timeout(10_000) })
  t.same(cap.relayAddrs, [r])
  await new Promise(resolve => setTimeout(resolve, 300))
  await a.net.deposit(cap, env(200), { signal: AbortSignal.timeout(10_000) })
  await until(() => b.got.some(e => e.path === 'mailbox'))
  t.equal(b.got.filter(e => e.path === 'mailbox').length, 1, 'pushed once')

  // garbage frame on a raw stream: REJECTED ack, then the stream is closed
  const conn = await a.host.dial(multiaddr(b.net.addresses().find(x => !x.includes('p2p-circuit')) as string))
  const s = await conn.newStream(MSG_PROTOCOL)
  const lp = lpStream(s)
  await lp.write(Uint8Array.of(0x99, 1, 2))
  t.equal(decodeAck((await lp.read()).subarray()), AckStatus.REJECTED)
  const bigStream = await conn.newStream(MSG_PROTOCOL)
  const big = lpStream(bigStream, { maxDataLength: 1 << 20 })
  await big.write(env(200 * 1024)).catch(() => {})
  await t.rejects(big.read({ signal: AbortSignal.timeout(5000) }), 'an oversized frame closes the stream')
  const after = await a.net.sendDirect(b.host.peerId.toString(), env(30), { signal: AbortSignal.timeout(10_000) })
  t.equal(after.path, 'direct', 'still serving')
})

t.test('relay-only nodes talk through the relay circuit; offline peer → unreachable', async t => {
  const relay = await spawnRelay({ args: ['--config', cfg] })
  t.teardown(relay.cleanup)
  const r = relay.addrs[0]
  const a = await makeNode(r, true)
  const b = await makeNode(r, true)
  t.teardown(async () => { await a.stop(); await b.stop() })
  await until(() => reservedRelays(a.host).has(relay.peerId) && reservedRelays(b.host).has(relay.peerId))
  t.notOk(b.net.addresses().some(x => !x.includes('p2p-circuit')), 'relay-only: only circuit addresses')
  const res = await a.net.sendDirect(b.host.peerId.toString(), env(100), { signal: AbortSignal.timeout(10_000), relayAddrs: [r] })
  t.equal(res.path, 'relayed')
  t.equal(b.got[0]?.path, 'relayed')
  const back = await b.net.sendDirect(a.host.peerId.toString(), env(100), { signal: AbortSignal.timeout(10_000) })
  t.equal(back.path, 'relayed')
  await b.stop()
  const start = Date.now()
  await t.rejects(a.net.sendDirect(b.host.peerId.toString(), env(100), { signal: AbortSignal.timeout(8_000), relayAddrs: [r] }), { code: /ERR_UNREACHABLE|ERR_ACK_TIMEOUT/ })
  t.comment(`offline peer failed after ${Date.now() - start} ms`)
})

/**
 * Mailbox flows over real libp2p nodes on loopback (PROTOCOL.md §8): deposit, push to a subscribed owner,
 * fetch and ack after the owner reconnects, list, delete, batched and pipelined deposits.
 */
import './helpers/mailbox-net.js'
import t from 'tap'
import { ed25519KeyPair, systemRng, equal } from '../protocol/crypto/index.js'
import { MailboxClient, MailboxError, Status, type FetchedEnvelope } from '../bootstrap/mailbox/index.js'
import { dbDir, newPeerKey, startClient, startHost, tempDir } from './helpers/mailbox-net.js'

const te = new TextEncoder()

t.test('deposit, push to connected owner, fetch + ack after reconnect', async t => {
  const dir = tempDir(); t.teardown(dir.cleanup)
  const host = await startHost({ dbPath: dbDir(dir.path) })
  t.teardown(async () => { await host.stop() })
  const relayAddr = host.getMultiaddrs()
  const ownerPeerKey = await newPeerKey()
  const ownerKey = ed25519KeyPair(systemRng)

  let owner = await startClient(ownerPeerKey)
  let ownerClient = new MailboxClient({ libp2p: owner, relay: relayAddr, ownerKey })
  const cap = await ownerClient.createQueue()
  t.equal(cap.queueId.length, 16)
  t.equal(cap.token.length, 32)

  const pushed: FetchedEnvelope[] = []
  let gotPush!: () => void
  const pushSeen = new Promise<void>(resolve => { gotPush = resolve })
  const sub = await ownerClient.subscribe([cap.queueId], e => { pushed.push(e); gotPush() })

  const sender = await startClient()
  t.teardown(async () => { await sender.stop() })
  const senderClient = new MailboxClient({ libp2p: sender, relay: relayAddr })
  const e1 = te.encode('envelope one')
  const t0 = performance.now()
  const r1 = await senderClient.deposit(cap, e1)
  t.equal(r1.id, 0)
  await pushSeen
  t.comment(`deposit -> push latency ${(performance.now() - t0).toFixed(1)} ms`)
  t.equal(pushed.length, 1)
  t.ok(equal(pushed[0].data, e1), 'pushed bytes are the deposited bytes')
  t.equal(pushed[0].id, 0)

  // the owner goes away; more deposits arrive while it is offline
  await sub.close()
  await ownerClient.close()
  await owner.stop()
  const e2 = te.encode('envelope two')
  const e3 = te.encode('envelope three')
  t.equal((await senderClient.deposit(cap, e2)).id, 1)
  t.equal((await senderClient.deposit(cap, e3)).id, 2)

  // the owner reconnects with the same PeerId and owner key
  owner = await startClient(ownerPeerKey)
  t.teardown(async () => { await owner.stop() })
  ownerClient = new MailboxClient({ libp2p: owner, relay: relayAddr, ownerKey })
  const listed = await ownerClient.list(cap.queueId)
  t.same(listed, [{ id: 0, size: e1.length }, { id: 1, size: e2.length }, { id: 2, size: e3.length }])
  const got = await ownerClient.fetch(cap.queueId, { maxCount: 10 })
  t.same(got.map(e => e.id), [0, 1, 2])
  t.ok(equal(got[1].data, e2) && equal(got[2].data, e3))
  await ownerClient.ack(cap.queueId, got.map(e => e.id))
  t.same(await ownerClient.fetch(cap.queueId), [])
  t.same(await host.services.mailbox.stats(), { queues: 1, envelopes: 0, bytes: 0 })

  await ownerClient.deleteQueue(cap.queueId)
  await t.rejects(senderClient.deposit(cap, e1), { code: 'ERR_MAILBOX_UNKNOWN_QUEUE' })
  await ownerClient.close(); await senderClient.close()
})

t.test('fetch honours max_count and max_bytes; batch deposit gives per-item statuses; pipelining', async t => {
  const dir = tempDir(); t.teardown(dir.cleanup)
  const host = await startHost({ dbPath: dbDir(dir.path), limits: { queueMaxEnvelopes: 300 } })
  t.teardown(async () => { await host.stop() })
  const node = await startClient()
  t.teardown(async () => { await node.stop() })
  const c = new MailboxClient({ libp2p: node, relay: host.getMultiaddrs(), ownerKey: ed25519KeyPair(systemRng) })
  t.teardown(async () => { await c.close() })
  const cap = await c.createQueue()
  const badToken = { queueId: cap.queueId, token: new Uint8Array(32) }
  const out = await c.depositBatch([
    { ...cap, envelope: new Uint8Array(100).fill(1) },
    { ...badToken, envelope: new Uint8Array(10) },
    { queueId: new Uint8Array(16), token: cap.token, envelope: new Uint8Array(10) },
    { ...cap, envelope: new Uint8Array(100).fill(2) }
  ])
  t.same(out.map(o => o.status), [Status.OK, Status.BAD_TOKEN, Status.UNKNOWN_QUEUE, Status.OK])
  t.same([out[0].id, out[3].id], [0, 1])

  // 200 pipelined deposits on one stream
  const ps = []
  for (let i = 0; i < 200; i++) ps.push(c.deposit(cap, new Uint8Array(50).fill(i & 0xff)))
  const ids = (await Promise.all(ps)).map(r => r.id)
  t.same(ids, Array.from({ length: 200 }, (_, i) => i + 2), 'pipelined deposits keep their order')

  const few = await c.fetch(cap.queueId, { maxCount: 3 })
  t.same(few.map(e => e.id), [0, 1, 2])
  const byBytes = await c.fetch(cap.queueId, { maxBytes: 150 })
  t.same(byBytes.map(e => e.id), [0], 'max_bytes stops before the second envelope, the first is always returned')
  const err = await c.deposit(badToken, new Uint8Array(1)).catch(e => e)
  t.ok(err instanceof MailboxError)
  t.equal(err.status, Status.BAD_TOKEN)
  t.equal(err.code, 'ERR_MAILBOX_BAD_TOKEN')
})

t.test('client timeouts and abort signals', async t => {
  const dir = tempDir(); t.teardown(dir.cleanup)
  const host = await startHost({ dbPath: dbDir(dir.path) })
  t.teardown(async () => { await host.stop() })
  const node = await startClient()
  t.teardown(async () => { await node.stop() })
  const c = new MailboxClient({ libp2p: node, relay: host.getMultiaddrs(), ownerKey: ed25519KeyPair(systemRng) })
  t.teardown(async () => { await c.close() })
  const ac = new AbortController(); ac.abort()
  await t.rejects(c.createQueue({ signal: ac.signal }), { code: 'ERR_MAILBOX_TIMEOUT' })
  const cap = await c.createQueue()
  t.equal(cap.queueId.length, 16, 'the client recovers after an aborted call')
})

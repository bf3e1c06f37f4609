/**
 * Every refusal of the mailbox is a status code in the reply (PROTOCOL.md §8.7): quotas, sizes, retention
 * (with an injected clock), allow-lists, and non-owners (wrong PeerId; right PeerId without the owner key).
 */
import './helpers/mailbox-net.js'
import t from 'tap'
import { ed25519KeyPair, systemRng } from '../protocol/crypto/index.js'
import { MailboxClient, Status, defaultMailboxLimits } from '../bootstrap/mailbox/index.js'
import { DAY_MS as DAY_MS_FOR_TESTS } from '../bootstrap/mailbox/limits.js'
import { signAuth } from '../bootstrap/mailbox/auth.js'
import { dbDir, newPeerKey, startClient, startHost, tempDir } from './helpers/mailbox-net.js'
import { rawSession, sig } from './helpers/mailbox-raw.js'
import { Request } from '../bootstrap/mailbox/pb/mailbox.js'

t.test('size and quota refusals', async t => {
  const dir = tempDir(); t.teardown(dir.cleanup)
  const host = await startHost({
    dbPath: dbDir(dir.path),
    limits: { maxEnvelopeBytes: 1000, queueMaxEnvelopes: 3, queueMaxBytes: 2500, ownerMaxBytes: 4000, ownerMaxQueues: 2 }
  })
  t.teardown(async () => { await host.stop() })
  const node = await startClient()
  t.teardown(async () => { await node.stop() })
  const c = new MailboxClient({ libp2p: node, relay: host.getMultiaddrs(), ownerKey: ed25519KeyPair(systemRng) })
  t.teardown(async () => { await c.close() })
  const a = await c.createQueue()
  const b = await c.createQueue()
  await t.rejects(c.createQueue(), { code: 'ERR_MAILBOX_OWNER_QUOTA' }, 'ownerMaxQueues')

  await t.rejects(c.deposit(a, new Uint8Array(1001)), { code: 'ERR_MAILBOX_TOO_LARGE' })
  await c.deposit(a, new Uint8Array(1000))
  await c.deposit(a, new Uint8Array(1000))
  await t.rejects(c.deposit(a, new Uint8Array(501)), { code: 'ERR_MAILBOX_QUEUE_BYTES_FULL' })
  await c.deposit(a, new Uint8Array(500))
  await t.rejects(c.deposit(a, new Uint8Array(1)), { code: 'ERR_MAILBOX_QUEUE_FULL' })
  await c.deposit(b, new Uint8Array(1000))
  await t.rejects(c.deposit(b, new Uint8Array(600)), { code: 'ERR_MAILBOX_OWNER_QUOTA' }, 'ownerMaxBytes over both queues')
  t.same(await host.services.mailbox.stats(), { queues: 2, envelopes: 4, bytes: 3500 })

  // acking frees quota; setLimits (SIGHUP) applies at once
  const got = await c.fetch(a.queueId)
  await c.ack(a.queueId, [got[0].id])
  await c.deposit(b, new Uint8Array(600))
  host.services.mailbox.setLimits({ ...defaultMailboxLimits, maxEnvelopeBytes: 10 })
  await t.rejects(c.deposit(b, new Uint8Array(11)), { code: 'ERR_MAILBOX_TOO_LARGE' })
})

t.test('allowOwners list: NOT_ALLOWED for other PeerIds; RELAY_QUOTA for any', async t => {
  const dir = tempDir(); t.teardown(dir.cleanup)
  const allowedKey = await newPeerKey()
  const allowed = await startClient(allowedKey)
  const other = await startClient()
  t.teardown(async () => { await allowed.stop(); await other.stop() })
  const host = await startHost({ dbPath: dbDir(dir.path), allowOwners: [allowed.peerId.toString()] })
  t.teardown(async () => { await host.stop() })
  const ok = new MailboxClient({ libp2p: allowed, relay: host.getMultiaddrs(), ownerKey: ed25519KeyPair(systemRng) })
  const no = new MailboxClient({ libp2p: other, relay: host.getMultiaddrs(), ownerKey: ed25519KeyPair(systemRng) })
  t.teardown(async () => { await ok.close(); await no.close() })
  await ok.createQueue()
  await t.rejects(no.createQueue(), { code: 'ERR_MAILBOX_NOT_ALLOWED' })

  const dir2 = tempDir(); t.teardown(dir2.cleanup)
  const host2 = await startHost({ dbPath: dbDir(dir2.path), allowOwners: 'any', limits: { maxQueuesAnyOwnerTotal: 1 } })
  t.teardown(async () => { await host2.stop() })
  const c1 = new MailboxClient({ libp2p: allowed, relay: host2.getMultiaddrs(), ownerKey: ed25519KeyPair(systemRng) })
  const c2 = new MailboxClient({ libp2p: other, relay: host2.getMultiaddrs(), ownerKey: ed25519KeyPair(systemRng) })
  t.teardown(async () => { await c1.close(); await c2.close() })
  await c1.createQueue()
  await t.rejects(c2.createQueue(), { code: 'ERR_MAILBOX_RELAY_QUOTA' })
})

t.test('retention with an injected clock', async t => {
  const dir = tempDir(); t.teardown(dir.cleanup)
  let now = 1_700_000_000_000
  const retentionMs = 30 * DAY_MS_FOR_TESTS
  const host = await startHost({ dbPath: dbDir(dir.path), now: () => now, limits: { sweepIntervalMs: 0 } })
  t.teardown(async () => { await host.stop() })
  const node = await startClient()
  t.teardown(async () => { await node.stop() })
  const c = new MailboxClient({ libp2p: node, relay: host.getMultiaddrs(), ownerKey: ed25519KeyPair(systemRng) })
  t.teardown(async () => { await c.close() })
  const q = await c.createQueue()
  await c.deposit(q, Uint8Array.of(1))
  now += DAY_MS_FOR_TESTS
  await c.deposit(q, Uint8Array.of(2))
  now += retentionMs - DAY_MS_FOR_TESTS // the first envelope is exactly retentionMs old: expired
  t.same((await c.list(q.queueId)).map(e => e.id), [1], 'an envelope past retention is never listed')
  t.same((await c.fetch(q.queueId)).map(e => e.id), [1], 'nor fetched')
  t.same(await host.services.mailbox.stats(), { queues: 1, envelopes: 1, bytes: 1 }, 'and it was deleted on the way')

  // the sweep deletes expired envelopes without any request
  now += DAY_MS_FOR_TESTS
  t.same(await host.services.mailbox.sweep(), { envelopes: 1, queues: 0 })
  t.same(await host.services.mailbox.stats(), { queues: 1, envelopes: 0, bytes: 0 })

  // a queue without an owner operation for retentionMs refuses deposits with EXPIRED ...
  now += retentionMs
  await t.rejects(c.deposit(q, Uint8Array.of(3)), { code: 'ERR_MAILBOX_EXPIRED' })
  // ... until its owner comes back
  await c.list(q.queueId)
  await c.deposit(q, Uint8Array.of(3))
  // a queue idle for twice the retention is deleted by the sweep
  now += 2 * retentionMs
  t.same(await host.services.mailbox.sweep(), { envelopes: 1, queues: 1 })
  await t.rejects(c.deposit(q, Uint8Array.of(4)), { code: 'ERR_MAILBOX_UNKNOWN_QUEUE' })
})

t.test('the periodic sweep runs on its own; events report refusals', async t => {
  const dir = tempDir(); t.teardown(dir.cleanup)
  let now = 1_700_000_000_000
  const events: Array<{ type: string, reason?: string, count?: number }> = []
  const host = await startHost({ dbPath: dbDir(dir.path), now: () => now, limits: { sweepIntervalMs: 20, retentionMs: 1000 }, onEvent: e => events.push(e) })
  t.teardown(async () => { await host.stop() })
  const node = await startClient()
  t.teardown(async () => { await node.stop() })
  const c = new MailboxClient({ libp2p: node, relay: host.getMultiaddrs(), ownerKey: ed25519KeyPair(systemRng) })
  t.teardown(async () => { await c.close() })
  const q = await c.createQueue()
  await c.depositBatch([{ ...q, envelope: Uint8Array.of(1) }, { ...q, envelope: Uint8Array.of(2) }])
  now += 1000
  for (let i = 0; i < 100 && (await host.services.mailbox.stats()).envelopes > 0; i++) await new Promise(resolve => setTimeout(resolve, 20))
  t.same(await host.services.mailbox.stats(), { queues: 1, envelopes: 0, bytes: 0 }, 'swept without a request')
  await t.rejects(c.deposit({ ...q, token: new Uint8Array(32) }, Uint8Array.of(3)), { code: 'ERR_MAILBOX_BAD_TOKEN' })
  t.ok(events.some(e => e.type === 'deposit' && e.count === 2), 'deposit event with its count')
  t.equal(events.filter(e => e.type === 'refusal' && e.reason === 'BAD_TOKEN').length, 1, 'one refusal event with its reason')
})

t.test('non-owners cannot list, fetch, ack, subscribe or delete', async t => {
  const dir = tempDir(); t.teardown(dir.cleanup)
  const host = await startHost({ dbPath: dbDir(dir.path) })
  t.teardown(async () => { await host.stop() })
  const relay = host.getMultiaddrs()
  const ownerPeerKey = await newPeerKey()
  const ownerKey = ed25519KeyPair(systemRng)
  const owner = await startClient(ownerPeerKey)
  t.teardown(async () => { await owner.stop() })
  const oc = new MailboxClient({ libp2p: owner, relay, ownerKey })
  t.teardown(async () => { await oc.close() })
  const q = await oc.createQueue()
  await oc.deposit(q, Uint8Array.of(7))

  // wrong PeerId, right owner key
  const thief = await startClient()
  t.teardown(async () => { await thief.stop() })
  const wrongPeer = new MailboxClient({ libp2p: thief, relay, ownerKey })
  t.teardown(async () => { await wrongPeer.close() })
  // right PeerId (the owner's libp2p key), another owner key
  const twin = await startClient(ownerPeerKey)
  t.teardown(async () => { await twin.stop() })
  const wrongKey = new MailboxClient({ libp2p: twin, relay, ownerKey: ed25519KeyPair(systemRng) })
  t.teardown(async () => { await wrongKey.close() })

  for (const [name, c] of [['wrong PeerId', wrongPeer], ['right PeerId, wrong owner key', wrongKey]] as const) {
    await t.rejects(c.list(q.queueId), { code: 'ERR_MAILBOX_NOT_OWNER' }, `${name}: list`)
    await t.rejects(c.fetch(q.queueId), { code: 'ERR_MAILBOX_NOT_OWNER' }, `${name}: fetch`)
    await t.rejects(c.ack(q.queueId, [0]), { code: 'ERR_MAILBOX_NOT_OWNER' }, `${name}: ack`)
    await t.rejects(c.subscribe([q.queueId], () => {}), { code: 'ERR_MAILBOX_NOT_OWNER' }, `${name}: subscribe`)
    await t.rejects(c.deleteQueue(q.queueId), { code: 'ERR_MAILBOX_NOT_OWNER' }, `${name}: delete`)
  }

  // right PeerId with no owner key proof at all, and with a forged proof
  const raw = await rawSession(twin, relay)
  t.teardown(async () => { await raw.close() })
  for (const type of [Request.Type.LIST, Request.Type.FETCH, Request.Type.ACK, Request.Type.DELETE_QUEUE, Request.Type.CREATE_QUEUE]) {
    const f = await raw.request({ type, queueId: q.queueId as Uint8Array<ArrayBuffer>, ids: [0] }, false, sig())
    t.equal(f.status, Status.NOT_AUTHENTICATED, `no proof: ${type}`)
  }
  // a genuine owner-key signature over another challenge (a replay from another stream) is refused
  const otherChallenge = systemRng(32)
  const replayed = signAuth(ownerKey.secretKey, host.peerId.toMultihash().bytes, twin.peerId.toMultihash().bytes, otherChallenge)
  const body = { type: Request.Type.FETCH, queueId: q.queueId, auth: { ownerPublicKey: ownerKey.publicKey, signature: replayed } }
  t.equal((await raw.request(body as never, false, sig())).status, Status.NOT_AUTHENTICATED, 'replayed proof')
  const garbageSig = { ...body, auth: { ownerPublicKey: ownerKey.publicKey, signature: new Uint8Array(64) } }
  t.equal((await raw.request(garbageSig as never, false, sig())).status, Status.NOT_AUTHENTICATED, 'forged proof')
  const proper = await rawSession(owner, relay, ownerKey)
  t.teardown(async () => { await proper.close() })
  const f = await proper.request({ type: Request.Type.FETCH, queueId: q.queueId as Uint8Array<ArrayBuffer> }, true, sig())
  t.equal(f.status, Status.OK, 'the owner key with the owner PeerId is the owner')
  t.equal((await proper.request({ type: Request.Type.FETCH, queueId: q.queueId as Uint8Array<ArrayBuffer> }, false, sig())).status,
    Status.OK, 'a stream stays authenticated after one proof')

  t.equal((await oc.fetch(q.queueId)).length, 1, 'the envelope is still there')
})

/**
 * The delivery core over an in-memory Net: messages both ways with statuses via receipts, mailbox fallback when the
 * recipient is offline, exactly-once under duplication/reordering/loss, idempotency, typed errors, restart.
 */
import t from 'tap'
import { MemoryNetwork, connect, startNode, stopNode, waitFor, type TestNode } from './helpers/memory-net.js'
import { validate } from '../node/rpc/schema.js'
import { COMPONENTS } from '../node/rpc/methods.js'
import type { Message } from '../node/core/index.js'
import { peerIndexKey } from '../node/store/index.js'

const schemaOk = (ref: string, v: unknown): boolean => validate({ ref }, v, COMPONENTS).length === 0

const EVENT_SCHEMAS: Record<string, string> = {
  'message.received': 'MessageReceivedEvent',
  'message.status': 'MessageStatusEvent',
  'contact.added': 'ContactAddedEvent',
  'contact.updated': 'ContactUpdatedEvent',
  'contact.presence': 'ContactPresenceEvent'
}

function checkEvents (tt: { fail: (m: string) => void }, n: TestNode): void {
  for (const e of n.events) {
    const ref = EVENT_SCHEMAS[e.type]
    if (ref === undefined) { tt.fail(`unknown event type ${e.type}`); continue }
    const v = validate({ ref }, e.data, COMPONENTS)
    if (v.length > 0) tt.fail(`${e.type} payload: ${JSON.stringify(v)}`)
  }
}

async function statusOf (n: TestNode, withId: string, id: string): Promise<string | undefined> {
  return (await n.m.listMessages({ with: withId, limit: 500 })).find(m => m.id === id)?.status
}

t.test('messages both ways: sent → delivered → read; history, events and schemas', async tt => {
  const network = new MemoryNetwork()
  const a = await startNode(network, 'alice')
  const b = await startNode(network, 'bob')
  tt.teardown(async () => { await stopNode(a); await stopNode(b) })
  const [aToB, bToA] = await connect(a, b)

  const m1 = await a.m.send({ to: aToB, text: 'hello bob' })
  tt.equal(m1.status, 'queued')
  tt.equal(m1.path, null)
  tt.ok(schemaOk('Message', m1))
  await waitFor('delivered', async () => await statusOf(a, aToB, m1.id) === 'delivered')
  const inB = await b.m.listMessages({ with: bToA })
  tt.equal(inB.length, 1)
  tt.match(inB[0], { id: m1.id, direction: 'in', text: 'hello bob', status: 'delivered', path: 'direct' })
  tt.equal((await b.m.getContact(bToA)).unread, 1)

  const m2 = await b.m.send({ to: bToA, text: 'hi alice' })
  await waitFor('reply delivered', async () => await statusOf(b, bToA, m2.id) === 'delivered')
  tt.same((await b.m.listMessages({ with: bToA })).map(m => m.direction), ['in', 'out'], 'in and out interleave by arrival')

  const r = await b.m.markRead({ with: bToA, upTo: inB[0].seq })
  tt.same(r, { updated: 1 })
  tt.equal((await b.m.getContact(bToA)).unread, 0)
  await waitFor('read', async () => await statusOf(a, aToB, m1.id) === 'read')

  const statuses = a.events.filter(e => e.type === 'message.status' && e.data.id === m1.id).map(e => e.data.status)
  tt.same(statuses, ['queued', 'sent', 'delivered', 'read'], 'statuses only move forward')
  tt.ok(b.events.some(e => e.type === 'message.received' && e.data.message.id === m1.id))
  checkEvents(tt, a); checkEvents(tt, b)
  for (const c of [...await a.m.listContacts(), ...await b.m.listContacts()]) tt.ok(schemaOk('Contact', c), 'Contact schema')
  for (const m of await a.m.listMessages({ with: aToB })) tt.ok(schemaOk('Message', m), 'Message schema')

  // paging: before is exclusive, oldest first
  const all = await a.m.listMessages({ with: aToB })
  tt.same((await a.m.listMessages({ with: aToB, before: all[1].seq })).map(m => m.id), [all[0].id])
  tt.same((await a.m.listMessages({ with: aToB, limit: 1 })).map(m => m.id), [all[1].id])
})

t.test('recipient offline → mailbox → back online → received once → delivered', async tt => {
  const network = new MemoryNetwork()
  const a = await startNode(network, 'alice')
  const b = await startNode(network, 'bob')
  tt.teardown(async () => { await stopNode(a); await stopNode(b) })
  const [aToB, bToA] = await connect(a, b)

  b.net.setOnline(false)
  const m = await a.m.send({ to: aToB, text: 'while you were out' })
  await waitFor('mailbox', async () => await statusOf(a, aToB, m.id) === 'mailbox')
  tt.equal((await a.m.listMessages({ with: aToB }))[0].path, 'mailbox')
  b.net.setOnline(true)
  await waitFor('delivered', async () => await statusOf(a, aToB, m.id) === 'delivered')
  const got = await b.m.listMessages({ with: bToA })
  tt.equal(got.length, 1, 'exactly once (direct retries after the deposit are deduplicated)')
  tt.equal(got[0].text, 'while you were out')
  checkEvents(tt, a); checkEvents(tt, b)
})

t.test('duplicated, reordered and lost envelopes: each message once, in sender order', async tt => {
  const network = new MemoryNetwork()
  const a = await startNode(network, 'alice')
  const b = await startNode(network, 'bob')
  tt.teardown(async () => { await stopNode(a); await stopNode(b) })
  const [aToB, bToA] = await connect(a, b)

  // mailbox reorder + duplication
  b.net.setOnline(false)
  const sent: Message[] = []
  for (let i = 0; i < 5; i++) sent.push(await a.m.send({ to: aToB, text: `m${i}` }))
  await waitFor('all in the mailbox', async () => {
    for (const m of sent) if (await statusOf(a, aToB, m.id) !== 'mailbox') return false
    return true
  })
  network.shuffleAndDuplicate(b.m.peerId)
  b.net.setOnline(true)
  await waitFor('all delivered', async () => {
    for (const m of sent) if (await statusOf(a, aToB, m.id) !== 'delivered') return false
    return true
  })
  let got = await b.m.listMessages({ with: bToA })
  tt.same(got.map(m => m.text), ['m0', 'm1', 'm2', 'm3', 'm4'], 'once each, in sender seq order despite reversal')

  // direct: lost before the peer, ack lost after it, duplicated on the wire
  let n = 0
  const fates = ['drop', 'ackLost', 'duplicate'] as const
  network.fault = (from) => from === a.m.peerId ? (fates[n++] ?? 'deliver') : 'deliver'
  const more: Message[] = []
  for (let i = 5; i < 8; i++) more.push(await a.m.send({ to: aToB, text: `m${i}` }))
  await waitFor('all delivered', async () => {
    for (const m of more) if (await statusOf(a, aToB, m.id) !== 'delivered') return false
    return true
  })
  got = await b.m.listMessages({ with: bToA })
  tt.same(got.map(m => m.text), ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'])
  tt.equal(new Set(got.map(m => m.id)).size, 8)
  tt.equal(b.events.filter(e => e.type === 'message.received').length, 8, 'one message.received per message')
})

t.test('idempotency key, typed errors', async tt => {
  const network = new MemoryNetwork()
  const a = await startNode(network, 'alice')
  const b = await startNode(network, 'bob')
  tt.teardown(async () => { await stopNode(a); await stopNode(b) })
  const [aToB, bToA] = await connect(a, b)

  const x = await a.m.send({ to: aToB, text: 'once', idempotencyKey: 'k1' })
  const y = await a.m.send({ to: aToB, text: 'once', idempotencyKey: 'k1' })
  tt.equal(y.id, x.id)
  tt.equal(y.seq, x.seq)
  await waitFor('delivered', async () => await statusOf(a, aToB, x.id) === 'delivered')
  tt.equal((await b.m.listMessages({ with: bToA })).length, 1)

  await tt.rejects(a.m.send({ to: 'nope', text: 'x' }), { code: 'ERR_UNKNOWN_CONTACT' })
  await tt.rejects(a.m.getContact('nope'), { code: 'ERR_UNKNOWN_CONTACT' })
  await tt.rejects(a.m.listMessages({ with: 'nope' }), { code: 'ERR_UNKNOWN_CONTACT' })
  await tt.rejects(a.m.send({ to: aToB, text: 'x'.repeat(32 * 1024 + 1) }), { code: 'ERR_MESSAGE_TOO_LARGE' })
  await tt.rejects(a.m.send({ to: aToB, text: 'é'.repeat(16 * 1024 + 1) }), { code: 'ERR_MESSAGE_TOO_LARGE' }, 'limit is in UTF-8 bytes')

  // block: their messages are acknowledged and dropped; mine are refused
  await a.m.blockContact(aToB)
  await tt.rejects(a.m.send({ to: aToB, text: 'x' }), { code: 'ERR_BLOCKED' })
  const dropped = await b.m.send({ to: bToA, text: 'you blocked me' })
  await waitFor('sent', async () => await statusOf(b, bToA, dropped.id) === 'sent')
  tt.equal((await a.m.listMessages({ with: aToB })).filter(m => m.direction === 'in').length, 0, 'dropped unread')
  await a.m.unblockContact(aToB)
  const after = await b.m.send({ to: bToA, text: 'again' })
  await waitFor('delivered after unblock', async () => await statusOf(b, bToA, after.id) === 'delivered')
  tt.same((await a.m.listMessages({ with: aToB })).filter(m => m.direction === 'in').map(m => m.text), ['again'])
})

t.test('restart on the same store keeps contacts, sessions, history; queued sends resume', async tt => {
  const network = new MemoryNetwork()
  let a = await startNode(network, 'alice')
  let b = await startNode(network, 'bob')
  tt.teardown(async () => { await stopNode(a); await stopNode(b) })
  const [aToB, bToA] = await connect(a, b)
  const m1 = await a.m.send({ to: aToB, text: 'before' })
  await waitFor('delivered', async () => await statusOf(a, aToB, m1.id) === 'delivered')

  // b down; a queues a message and "crashes" before any delivery attempt finishes
  await stopNode(b)
  const m2 = await a.m.send({ to: aToB, text: 'queued across a restart' })
  await stopNode(a)
  a = await startNode(network, 'alice', a)
  b = await startNode(network, 'bob', b)
  tt.same((await a.m.listContacts()).map(c => [c.id, c.state]), [[aToB, 'established']])
  tt.equal((await a.m.listMessages({ with: aToB })).length, 2)
  await waitFor('resumed and delivered', async () => await statusOf(a, aToB, m2.id) === 'delivered')
  tt.same((await b.m.listMessages({ with: bToA })).map(m => m.text), ['before', 'queued across a restart'])
  const m3 = await b.m.send({ to: bToA, text: 'sessions survive' })
  await waitFor('reply delivered', async () => await statusOf(b, bToA, m3.id) === 'delivered')
  const again = await a.m.send({ to: aToB, text: 'x', idempotencyKey: 'same' })
  tt.equal((await a.m.send({ to: aToB, text: 'x', idempotencyKey: 'same' })).id, again.id)
})

t.test('a peer index naming no stored contact: the message is found by trial decryption, not dropped', async tt => {
  const network = new MemoryNetwork()
  const a = await startNode(network, 'alice')
  const b = await startNode(network, 'bob')
  tt.teardown(async () => { await stopNode(a); await stopNode(b) })
  const [aToB, bToA] = await connect(a, b)
  // Bob's index entry for Alice's PeerId now names a contact that does not exist (never left by the core itself)
  await b.store.batch().putJson(peerIndexKey(b.store.blind('peer', a.m.peerId)), { contactId: 'AAAAAAAAAAAAAAAAAAAAAA' }).write()
  const m = await a.m.send({ to: aToB, text: 'still found' })
  await waitFor('delivered', async () => await statusOf(a, aToB, m.id) === 'delivered')
  tt.match((await b.m.listMessages({ with: bToA })).map(x => x.text), ['still found'], 'stored under the real contact')
})

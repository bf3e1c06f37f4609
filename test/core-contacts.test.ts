/**
 * Contacts by invite over an in-memory Net: establishment both sides, single use (a second requester is rejected),
 * expired/tampered/own invites, an existing contact, simultaneous adds, safety numbers, verify, rename, block, remove.
 */
import t from 'tap'
import { MemoryNetwork, connect, startNode, stopNode, waitFor } from './helpers/memory-net.js'

t.test('invite → add → established both sides; contact details', async tt => {
  const network = new MemoryNetwork()
  const a = await startNode(network, 'alice')
  const b = await startNode(network, 'bob')
  tt.teardown(async () => { await stopNode(a); await stopNode(b) })
  const { invite, expiresAt } = await a.m.createInvite({ expiresInSeconds: 3600 })
  tt.match(invite, /^tern:/)
  tt.ok(expiresAt > Date.now())
  const pending = await b.m.addContact({ invite })
  tt.equal(pending.state, 'pending')
  tt.equal(pending.peerId, a.m.peerId)
  tt.equal(pending.fingerprint, a.m.fingerprint)
  await waitFor('b established', async () => (await b.m.getContact(pending.id)).state === 'established')
  tt.equal((await b.m.getContact(pending.id)).name, 'alice', 'name from the inviter\'s ContactInfo')
  const inA = await waitFor('a established', async () => (await a.m.listContacts()).find(c => c.state === 'established'))
  tt.equal(inA.name, 'bob')
  tt.equal(inA.fingerprint, b.m.fingerprint)
  tt.ok(a.events.some(e => e.type === 'contact.added'))

  tt.equal(await a.m.safetyNumber(inA.id), await b.m.safetyNumber(pending.id), 'same safety number both sides')
  tt.equal((await a.m.verifyContact(inA.id)).verified, true)
  tt.equal((await a.m.renameContact(inA.id, 'Bobby')).name, 'Bobby')
  tt.equal((await a.m.blockContact(inA.id)).blocked, true)
  tt.equal((await a.m.unblockContact(inA.id)).blocked, false)
  tt.equal(network.queueOf(a.m.peerId).length, 1, 'the invite queue was deleted; the per-contact queue remains')

  await tt.rejects(b.m.addContact({ invite }), { code: 'ERR_CONTACT_EXISTS', contactId: pending.id })
  await tt.rejects(a.m.addContact({ invite }), { code: 'ERR_INVITE_OWN' })
  await tt.rejects(b.m.addContact({ invite: invite.slice(0, -4) + 'AAAA' }), { code: /^ERR_INVITE_/ })
  await tt.rejects(b.m.addContact({ invite: 'hello' }), { code: /^ERR_INVITE_/ })

  await a.m.removeContact(inA.id)
  tt.same(await a.m.listContacts(), [])
  await tt.rejects(a.m.getContact(inA.id), { code: 'ERR_UNKNOWN_CONTACT' })
})

t.test('single use: a second requester is rejected; expired invites refused', async tt => {
  const network = new MemoryNetwork()
  const a = await startNode(network, 'alice')
  const b = await startNode(network, 'bob')
  const c = await startNode(network, 'carol')
  const late = await startNode(network, 'late', undefined, { now: () => Date.now() + 2 * 3600_000 })
  tt.teardown(async () => { for (const n of [a, b, c, late]) await stopNode(n) })
  const { invite } = await a.m.createInvite({ expiresInSeconds: 3600 })
  const cb = await b.m.addContact({ invite })
  await waitFor('b established', async () => (await b.m.getContact(cb.id)).state === 'established')
  const cc = await c.m.addContact({ invite })
  await waitFor('c rejected', async () => (await c.m.getContact(cc.id)).state === 'rejected')
  tt.ok(c.events.some(e => e.type === 'contact.updated' && e.data.contact.state === 'rejected'))
  tt.equal((await a.m.listContacts()).length, 1, 'the inviter kept one contact')
  const failed = await c.m.send({ to: cc.id, text: 'x' })
  tt.equal(failed.status, 'failed')

  await tt.rejects(late.m.addContact({ invite: (await a.m.createInvite({ expiresInSeconds: 3600 })).invite }), { code: 'ERR_INVITE_EXPIRED' })
})

t.test('inviter offline: the request waits in the invite queue', async tt => {
  const network = new MemoryNetwork()
  const a = await startNode(network, 'alice')
  const b = await startNode(network, 'bob')
  tt.teardown(async () => { await stopNode(a); await stopNode(b) })
  const { invite } = await a.m.createInvite({})
  a.net.setOnline(false)
  const cb = await b.m.addContact({ invite })
  await waitFor('deposited', () => network.depositCount > 0)
  a.net.setOnline(true)
  await waitFor('established', async () => (await b.m.getContact(cb.id)).state === 'established')
  const m = await b.m.send({ to: cb.id, text: 'hi' })
  await waitFor('delivered', async () => (await b.m.listMessages({ with: cb.id })).find(x => x.id === m.id)?.status === 'delivered')
})

t.test('simultaneous adds converge to one session', async tt => {
  const network = new MemoryNetwork()
  const a = await startNode(network, 'alice')
  const b = await startNode(network, 'bob')
  tt.teardown(async () => { await stopNode(a); await stopNode(b) })
  const [ia, ib] = await Promise.all([a.m.createInvite({}), b.m.createInvite({})])
  const [ca, cb] = await Promise.all([a.m.addContact({ invite: ib.invite }), b.m.addContact({ invite: ia.invite })])
  await waitFor('both established', async () =>
    (await a.m.getContact(ca.id)).state === 'established' && (await b.m.getContact(cb.id)).state === 'established')
  tt.equal((await a.m.listContacts()).length, 1)
  tt.equal((await b.m.listContacts()).length, 1)
  const m1 = await a.m.send({ to: ca.id, text: 'from a' })
  const m2 = await b.m.send({ to: cb.id, text: 'from b' })
  await waitFor('both delivered', async () =>
    (await a.m.listMessages({ with: ca.id })).find(x => x.id === m1.id)?.status === 'delivered' &&
    (await b.m.listMessages({ with: cb.id })).find(x => x.id === m2.id)?.status === 'delivered')
  tt.same((await b.m.listMessages({ with: cb.id })).map(m => m.text).sort(), ['from a', 'from b'])
})

t.test('connect helper and presence events', async tt => {
  const network = new MemoryNetwork()
  const a = await startNode(network, 'alice')
  const b = await startNode(network, 'bob')
  tt.teardown(async () => { await stopNode(a); await stopNode(b) })
  const [aToB] = await connect(a, b)
  tt.equal((await a.m.getContact(aToB)).online, true)
  b.net.setOnline(false)
  await waitFor('presence offline', () => a.events.some(e => e.type === 'contact.presence' && e.data.id === aToB && e.data.online === false))
  tt.equal((await a.m.getContact(aToB)).online, false)
  tt.type((await a.m.getContact(aToB)).lastSeen, 'number')
})

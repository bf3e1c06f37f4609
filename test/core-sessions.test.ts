/**
 * The sending reservation (node/core/sessions.ts): which key a send may use before its write is durable, what a
 * new run skips, and how the reservation is stored with the session.
 */
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { utf8 } from '../protocol/crypto/index.js'
import { ratchetDecrypt, ratchetEncrypt } from '../protocol/ratchet/index.js'
import { loadSessionRecord, putSession, reserveNext, sendable } from '../node/core/sessions.js'
import { MemoryKV, Store, sessionKey } from '../node/store/index.js'
import { newPair } from './ratchet-helpers.js'

t.test('sendable: early only for a key this run reserved; another run\'s reservation is skipped', async t => {
  const { alice, rng } = newPair('sessions-1')
  const sent = ratchetEncrypt(alice, utf8('m0'), rng).state // sendCount 1
  t.same(sendable({ state: sent }, 'r1'), { state: sent, early: false, skipped: false }, 'no reservation: durable first')
  const mine = reserveNext(sent, 'r1')
  t.same(mine, { count: 2, run: 'r1' }, 'the next key (N = 1)')
  t.same(sendable({ state: sent, reserved: mine }, 'r1'), { state: sent, early: true, skipped: false }, 'reserved by this run')
  t.equal(sendable({ state: sent, reserved: { count: 1, run: 'r1' } }, 'r1').early, false, 'a reservation already used up')
  const other = sendable({ state: sent, reserved: mine }, 'r2')
  t.equal(other.early, false, 'another run: durable first')
  t.equal(other.skipped, true)
  t.equal(other.state.sendCount, 2, 'past the key the other run may have used')
  t.equal(sendable({ state: sent, reserved: { count: 1, run: 'r0' } }, 'r2').state, sent, 'nothing to skip below the count')
  t.throws(() => sendable({ state: sent, reserved: { count: 5000, run: 'r0' } }, 'r2'), { code: 'ERR_INVALID_ARGUMENT' }, 'a reservation no receiver could follow: an error, never a reused key')
})

t.test('no sending chain (a DH step pending): no reservation; another run\'s raises the new chain\'s PN', async t => {
  let { alice, bob, rng } = newPair('sessions-2')
  const m = ratchetEncrypt(alice, utf8('x'), rng)
  alice = m.state
  bob = ratchetDecrypt(bob, m.message).state
  const pending = ratchetDecrypt(alice, ratchetEncrypt(bob, utf8('y'), rng).message).state
  t.equal(pending.sendChainKey, null)
  t.equal(pending.prevSendCount, 1)
  t.equal(reserveNext(pending, 'r1'), undefined)
  t.same(sendable({ state: pending, reserved: { count: 2, run: 'r1' } }, 'r1'), { state: pending, early: false, skipped: false }, 'this run\'s own: nothing early, nothing skipped')
  t.same(sendable({ state: pending, reserved: { count: 1, run: 'r0' } }, 'r1'), { state: pending, early: false, skipped: false }, 'nothing beyond the stored count')
  const other = sendable({ state: pending, reserved: { count: 2, run: 'r0' } }, 'r1')
  t.same({ early: other.early, skipped: other.skipped, pn: other.state.prevSendCount, n: other.state.sendCount }, { early: false, skipped: true, pn: 2, n: 0 })
  // only a peer forcing two DH steps without a send of ours between can leave a reservation that far behind: no
  // raise then (the receiver would refuse it), and sending goes on (a new chain reuses no key)
  t.same(sendable({ state: pending, reserved: { count: 5000, run: 'r0' } }, 'r1'), { state: pending, early: false, skipped: false })
})

t.test('a text lost with its state, then a DH step: its late copy still opens after the next run\'s first send', async t => {
  let { alice, bob, rng } = newPair('sessions-4')
  const m0 = ratchetEncrypt(alice, utf8('m0'), rng)
  bob = ratchetDecrypt(bob, m0.message).state
  // what the disk holds after m0: its state and the reservation of the next key, by run r0
  const disk = { state: m0.state, reserved: reserveNext(m0.state, 'r0') }
  // r0 sends m1, and the power cut loses m1's state; m1 is on its way (through a mailbox, say)
  const lost = ratchetEncrypt(disk.state, utf8('m1'), rng).message
  // Bob replies with a new ratchet key; the new run receives it on the state from the disk: a DH step pending
  const reply = ratchetEncrypt(bob, utf8('reply'), rng)
  bob = reply.state
  const pending = ratchetDecrypt(disk.state, reply.message).state
  const from = sendable({ state: pending, reserved: disk.reserved }, 'r1')
  t.equal(from.skipped, true)
  const m2 = ratchetEncrypt(from.state, utf8('m2'), rng)
  const got2 = ratchetDecrypt(bob, m2.message)
  t.equal(new TextDecoder().decode(got2.plaintext), 'm2')
  const got1 = ratchetDecrypt(got2.state, lost)
  t.equal(new TextDecoder().decode(got1.plaintext), 'm1', 'the late copy opens with the key PN made the receiver keep')
  // without the raised PN the receiver keeps no key for it
  const plain = ratchetEncrypt(pending, utf8('m2'), rng)
  const bobPlain = ratchetDecrypt(reply.state, plain.message).state
  t.throws(() => ratchetDecrypt(bobPlain, lost), 'stock PN: the late copy does not open')
})

t.test('stored with the session, decoded once; a malformed reservation is ignored', async t => {
  const store = await Store.create(new MemoryKV(), new Uint8Array(randomBytes(32)), { cacheBytes: 1 << 20 })
  t.teardown(async () => { await store.close() })
  const { alice } = newPair('sessions-3')
  await putSession(store.batch(), 'c1', alice, { count: 3, run: 'r1' }).write()
  const rec = await loadSessionRecord(store, 'c1')
  t.same(rec?.reserved, { count: 3, run: 'r1' })
  t.equal(rec?.state, alice, 'the written state itself is the decoded form')
  await putSession(store.batch(), 'c2', alice).write()
  t.equal((await loadSessionRecord(store, 'c2'))?.reserved, undefined)
  await store.batch().putJson(sessionKey('c3'), { v: 1, state: (await store.getJson<{ state: string }>(sessionKey('c1')))?.state, reserved: { count: 'x', run: 1 } }).write()
  t.equal((await loadSessionRecord(store, 'c3'))?.reserved, undefined)
})

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

t.test('no sending chain (a DH step pending): no reservation, nothing skipped', async t => {
  let { alice, bob, rng } = newPair('sessions-2')
  const m = ratchetEncrypt(alice, utf8('x'), rng)
  alice = m.state
  bob = ratchetDecrypt(bob, m.message).state
  const pending = ratchetDecrypt(alice, ratchetEncrypt(bob, utf8('y'), rng).message).state
  t.equal(pending.sendChainKey, null)
  t.equal(reserveNext(pending, 'r1'), undefined)
  t.same(sendable({ state: pending, reserved: { count: 5, run: 'r0' } }, 'r1'), { state: pending, early: false, skipped: false })
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

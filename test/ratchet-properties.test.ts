/**
 * Property tests (fast-check) of the ratchet over random schedules in both directions (PROTOCOL.md §6.6): sends in
 * bursts and long one-way runs, delivery in any order, loss, duplication and replay, and state round trips through
 * the storage codec. A small model predicts every outcome: each delivered message decrypts exactly once to its
 * plaintext; a second delivery is ERR_DUPLICATE_MESSAGE; a message from a chain older than MAX_RECEIVING_CHAINS is
 * ERR_UNKNOWN_HEADER_KEY; every failure leaves the state byte-for-byte unchanged. Heavier runs: test/slow/ratchet-soak.
 */
import t from 'tap'
import fc from 'fast-check'
import { ratchetDecrypt, ratchetEncrypt, MAX_SKIP, type RatchetMessage } from '../protocol/ratchet/index.js'
import { codeOf, newPair, snap } from './ratchet-helpers.js'
import { opArb, runSchedule } from './ratchet-model.js'

/** Schedules per npm test run. */
const RUNS = 150

t.test('random schedules: reorder, loss, duplication, long runs, persistence', async t => {
  let totals = { sent: 0, delivered: 0, rejected: 0 }
  fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 12 }), fc.array(opArb, { minLength: 1, maxLength: 60 }), (seed, ops) => {
    const r = runSchedule(`prop/${seed}`, ops)
    totals = { sent: totals.sent + r.sent, delivered: totals.delivered + r.delivered, rejected: totals.rejected + r.rejected }
  }), { numRuns: RUNS })
  t.ok(totals.delivered > 0 && totals.rejected > 0, `${RUNS} schedules: ${totals.sent} sent, ${totals.delivered} delivered, ${totals.rejected} rejected as predicted`)
})

t.test('a jump past MAX_SKIP is typed and leaves the state unchanged; within the limit it decrypts', async t => {
  fc.assert(fc.property(fc.string({ maxLength: 8 }), fc.array(opArb, { maxLength: 12 }), fc.integer({ min: 1, max: 40 }), fc.boolean(),
    (seed, prefix, extra, viaNewChain) => {
      const p = newPair(`skip/${seed}`)
      let [alice, bob] = [p.alice, p.bob]
      // a short, fully delivered warm-up so that both sides have ratcheted
      for (let i = 0; i < prefix.length % 4; i++) {
        const e = ratchetEncrypt(alice, new Uint8Array([i]), p.rng); alice = e.state
        bob = ratchetDecrypt(bob, e.message).state
        const f = ratchetEncrypt(bob, new Uint8Array([i]), p.rng); bob = f.state
        alice = ratchetDecrypt(alice, f.message).state
      }
      if (!viaNewChain) { const e = ratchetEncrypt(alice, new Uint8Array(1), p.rng); alice = e.state; bob = ratchetDecrypt(bob, e.message).state }
      const msgs: RatchetMessage[] = []
      for (let i = 0; i < MAX_SKIP + extra + 1; i++) { const e = ratchetEncrypt(alice, new Uint8Array([i & 255]), p.rng); alice = e.state; msgs.push(e.message) }
      const before = snap(bob)
      for (const m of msgs.slice(MAX_SKIP + 1)) {
        if (codeOf(() => ratchetDecrypt(bob, m)) !== 'ERR_TOO_MANY_SKIPPED') return false
        if (snap(bob) !== before) return false
      }
      const ok = ratchetDecrypt(bob, msgs[MAX_SKIP])
      return ok.plaintext[0] === (MAX_SKIP & 255)
    }), { numRuns: 12 })
  t.pass('12 schedules')
})

/**
 * Soak run of the ratchet schedule model (test/ratchet-model.ts): thousands of random schedules, longer ones than
 * npm test runs, so that receiving chains are forgotten (MAX_RECEIVING_CHAINS) and long one-way runs interleave
 * with reordering, loss and duplication. `npm run test:slow`.
 */
import t from 'tap'
import fc from 'fast-check'
import { opArb, runSchedule } from '../ratchet-model.js'

const RUNS = Number(process.env.RATCHET_SOAK_RUNS ?? 3000)

t.test(`${RUNS} random schedules`, async t => {
  const totals = { sent: 0, delivered: 0, rejected: 0, forgotten: 0 }
  fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 16 }), fc.array(opArb, { minLength: 1, maxLength: 200 }), (seed, ops) => {
    const r = runSchedule(`soak/${seed}`, ops)
    for (const k of Object.keys(totals) as Array<keyof typeof totals>) totals[k] += r[k]
  }), { numRuns: RUNS })
  t.pass(`${totals.sent} sent, ${totals.delivered} delivered, ${totals.rejected} rejected as predicted (${totals.forgotten} from forgotten chains)`)
})

t.test('ping-pong past MAX_RECEIVING_CHAINS with one message of every chain held back', async t => {
  const ops = [] as Parameters<typeof runSchedule>[1]
  for (let i = 0; i < 40; i++) {
    // two sends per chain; the earlier one is delivered (pick i: after the i held-back ones), the later one held back until the end
    ops.push({ kind: 'send', from: 0, count: 2 }, { kind: 'deliver', to: 1, pick: i }, { kind: 'persist', who: 1 })
    ops.push({ kind: 'send', from: 1, count: 2 }, { kind: 'deliver', to: 0, pick: i })
  }
  const r = runSchedule('soak/ping-pong', ops)
  t.ok(r.forgotten > 0, `${r.sent} sent, ${r.delivered} delivered, ${r.rejected} rejected, ${r.forgotten} from forgotten chains`)
})

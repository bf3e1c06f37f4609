/**
 * Crash test (npm run test:slow): five runs, each SIGKILLing the sending daemon at a random point while at least
 * 100 of the run's messages are still undelivered, then a sixth whose kill lands right after ALL sends were accepted
 * (the restart resumes a full outbox: the case that once put message 14 after 15). After the restart the client
 * resubmits every send it got no answer for, with the same idempotencyKey. The receiver must end with every message
 * exactly once, in the sender's order.
 */
import '../../node/polyfill.js'
import t from 'tap'
import { befriend, startTestnet, until, type TestDaemon } from '../helpers/testnet.js'

t.setTimeout(25 * 60_000)

const RUNS = 5
const PER_RUN = 300
const MIN_UNDELIVERED = 100

interface Msg { id: string, seq: number, direction: string, text: string, status: string }

async function listAll (d: TestDaemon, withId: string): Promise<Msg[]> {
  const out: Msg[] = []
  let before: number | undefined
  for (;;) {
    const { messages } = await d.call<{ messages: Msg[] }>('messages.list', { with: withId, limit: 500, ...(before !== undefined ? { before } : {}) })
    out.unshift(...messages)
    if (messages.length < 500) return out
    before = messages[0].seq
  }
}

t.test('SIGKILL the sender mid-stream five times, then once after every send was accepted', async t => {
  t.setTimeout(20 * 60_000)
  const net = await startTestnet(t, ['Alice', 'Bob'])
  const [alice, bob] = net.nodes
  const { aSeesB, bSeesA } = await befriend(alice, bob)

  for (let run = 1; run <= RUNS + 1; run++) {
    const afterAll = run > RUNS // the last run: kill once every send was answered
    const texts = Array.from({ length: PER_RUN }, (_, i) => `run ${run} message ${i}`)
    const answered = new Set<number>()
    // delivery runs ahead of the answers (the frame goes out before the reply, and frames are pipelined): measured,
    // Bob holds ~20 + 1.3 x answers at the kill, so the kill comes within the first third of the undelivered margin
    const killAfter = afterAll ? PER_RUN : Math.floor(Math.random() * (PER_RUN - MIN_UNDELIVERED) / 3)
    let killed = false
    let killing: Promise<unknown> | undefined
    const sends = texts.map(async (text, i) => {
      try {
        await alice.call('messages.send', { to: aSeesB, text, idempotencyKey: `r${run}-${i}` })
        answered.add(i)
      } catch {}
      if (!killed && answered.size >= killAfter) {
        killed = true
        // kill at once (by PID), then count what Bob had: at most that many were delivered before the kill
        process.kill(alice.pid, 'SIGKILL')
        const atKill = answered.size
        killing = alice.stop('SIGKILL')
        const delivered = (await listAll(bob, bSeesA).catch(() => [])).filter(m => m.text.startsWith(`run ${run} `)).length
        if (afterAll) t.comment(`run ${run}: ${PER_RUN - delivered} undelivered at the kill (after ${atKill} answers)`)
        else t.ok(PER_RUN - delivered >= MIN_UNDELIVERED, `run ${run}: ${PER_RUN - delivered} undelivered at the kill (after ${atKill} answers)`)
      }
    })
    await Promise.all(sends)
    await killing
    if (!killed) await alice.stop('SIGKILL')
    await alice.start()
    for (let i = 0; i < PER_RUN; i++) {
      if (answered.has(i)) continue
      await alice.call('messages.send', { to: aSeesB, text: texts[i], idempotencyKey: `r${run}-${i}` })
    }
    const got = await until(async () => {
      const mine = (await listAll(bob, bSeesA)).filter(m => m.direction === 'in' && m.text.startsWith(`run ${run} `))
      return mine.length >= PER_RUN ? mine : undefined
    }, `run ${run}: all ${PER_RUN} received`, 180_000, 250)
    await new Promise(resolve => setTimeout(resolve, 500))
    const final = (await listAll(bob, bSeesA)).filter(m => m.direction === 'in' && m.text.startsWith(`run ${run} `))
    const sent = (await listAll(alice, aSeesB)).filter(m => m.direction === 'out' && m.text.startsWith(`run ${run} `))
    t.equal(sent.length, PER_RUN, `run ${run}: the sender holds each message once`)
    t.equal(final.length, PER_RUN, `run ${run}: exactly once (${got.length} seen)`)
    t.same(new Set(final.map(m => m.text)).size, PER_RUN, `run ${run}: no duplicates`)
    const firstDiff = final.findIndex((m, i) => m.text !== sent[i]?.text)
    t.equal(firstDiff, -1, `run ${run}: in the sender's order`, { got: final.slice(Math.max(0, firstDiff - 2), firstDiff + 3).map(m => m.text), want: sent.slice(Math.max(0, firstDiff - 2), firstDiff + 3).map(m => m.text) })
  }
})

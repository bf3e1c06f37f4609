/**
 * Lab scenario 3 (docs/lab.md): cut and heal. Home A's router loses its internet link for 60 s while both sides keep
 * sending (at least 20 messages each way); after the link returns every message arrives, none twice.
 */
import '../../node/polyfill.js'
import t from 'tap'
import { befriend, messages, report, sendAndReceive, startLab, until } from './harness.js'

/** How long the link stays down (issue 6: 60 s, not shortened). */
const CUT_MS = 60_000
/** Messages each way while the link is down. */
const PER_SIDE = 20
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

t.test('cut and heal (cone)', async t => {
  const timings: Record<string, number | string> = {}
  let ok = false
  try {
    const net = await startLab(t, 'cone')
    const { aSeesB, bSeesA } = await befriend(net.a, net.b)
    await sendAndReceive(net.a, aSeesB, net.b, bSeesA, 'before the cut (A)')
    await sendAndReceive(net.b, bSeesA, net.a, aSeesB, 'before the cut (B)')

    net.lab.setWan('ra', false)
    const cutAt = Date.now()
    const sent: { a: string[], b: string[] } = { a: [], b: [] }
    // spread the sends over the first half of the outage; a send only queues (it never waits for the network)
    for (let i = 0; i < PER_SIDE; i++) {
      const ta = `cut a${i}`; const tb = `cut b${i}`
      await net.a.call('messages.send', { to: aSeesB, text: ta }); sent.a.push(ta)
      await net.b.call('messages.send', { to: bSeesA, text: tb }); sent.b.push(tb)
      await sleep(1_400)
    }
    await sleep(Math.max(0, CUT_MS - (Date.now() - cutAt)))
    net.lab.setWan('ra', true)
    const healAt = Date.now()
    timings.down = healAt - cutAt

    const all = async (d: typeof net.a, withId: string, texts: string[]): Promise<boolean> => {
      const got = new Set((await messages(d, withId, 500)).filter(m => m.direction === 'in').map(m => m.text))
      return texts.every(x => got.has(x))
    }
    await until(async () => await all(net.b, bSeesA, sent.a), `B receives all ${PER_SIDE} of A's messages after the heal`, 120_000, 250)
    timings.healToAllAtoB = Date.now() - healAt
    await until(async () => await all(net.a, aSeesB, sent.b), `A receives all ${PER_SIDE} of B's messages after the heal`, 120_000, 250)
    timings.healToAllBtoA = Date.now() - healAt
    // give retries a moment to show any duplicate, then count
    await sleep(3_000)
    const inB = (await messages(net.b, bSeesA, 500)).filter(m => m.direction === 'in' && m.text.startsWith('cut '))
    const inA = (await messages(net.a, aSeesB, 500)).filter(m => m.direction === 'in' && m.text.startsWith('cut '))
    t.equal(inB.length, PER_SIDE, 'B has each of A\'s messages exactly once')
    t.equal(inA.length, PER_SIDE, 'A has each of B\'s messages exactly once')
    t.equal(new Set(inB.map(m => m.text)).size, PER_SIDE, 'no duplicate texts at B')
    t.equal(new Set(inA.map(m => m.text)).size, PER_SIDE, 'no duplicate texts at A')
    const paths = (ms: typeof inA): string => [...new Set(ms.map(m => String(m.path)))].sort().join('+')
    timings.pathsAtoB = paths(inB); timings.pathsBtoA = paths(inA)
    const after = await sendAndReceive(net.a, aSeesB, net.b, bSeesA, 'after the heal')
    timings.afterHealAB = after.ms
    ok = inA.length === PER_SIDE && inB.length === PER_SIDE
  } finally {
    report('cut-heal-cone', ok, timings)
  }
})

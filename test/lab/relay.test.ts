/**
 * Lab scenario 1 (docs/lab.md): both daemons sit behind their own NAT; they reserve on the relay, befriend with an
 * invite and talk both ways through the relay (path `relayed`), behind cone NATs and behind symmetric NATs.
 */
import '../../node/polyfill.js'
import t from 'tap'
import { befriend, report, reservationMs, sendAndReceive, startLab } from './harness.js'
import type { NatMode } from './netlab.js'

for (const mode of ['cone', 'symmetric'] as NatMode[]) {
  t.test(`relay through both NATs (${mode})`, async t => {
    const timings: Record<string, number | string> = {}
    let ok = false
    try {
      const net = await startLab(t, mode)
      timings.reserveA = await reservationMs(net.a)
      timings.reserveB = await reservationMs(net.b)
      const t0 = Date.now()
      const { aSeesB, bSeesA } = await befriend(net.a, net.b)
      timings.befriend = Date.now() - t0
      const ab = await sendAndReceive(net.a, aSeesB, net.b, bSeesA, `hello from A (${mode})`)
      timings.firstAB = ab.ms
      const ba = await sendAndReceive(net.b, bSeesA, net.a, aSeesB, `hello from B (${mode})`)
      timings.firstBA = ba.ms
      t.equal(ab.msg.path, 'relayed', 'A → B went through the relay')
      t.equal(ba.msg.path, 'relayed', 'B → A went through the relay')
      const conv: number[] = []
      for (let i = 0; i < 5; i++) {
        conv.push((await sendAndReceive(net.a, aSeesB, net.b, bSeesA, `a${i}`)).ms)
        conv.push((await sendAndReceive(net.b, bSeesA, net.a, aSeesB, `b${i}`)).ms)
      }
      timings.convMedian = conv.sort((x, y) => x - y)[conv.length >> 1]
      ok = ab.msg.path === 'relayed' && ba.msg.path === 'relayed'
    } finally {
      report(`relay-${mode}`, ok, timings)
    }
  })
}

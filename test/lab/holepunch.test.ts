/**
 * Lab scenario 2 (docs/lab.md): DCUtR hole punching. Behind cone NATs the nodes learn their public address from
 * what the relay observes (identify), the relayed connection is upgraded to a direct TCP connection whose remote end
 * is the peer's router (11.0.0.x), messages then take the `direct` path and the relay stops carrying their bytes.
 * Behind symmetric NATs the observed port is random, nothing is announced, and the conversation stays relayed.
 */
import '../../node/polyfill.js'
import t from 'tap'
import { befriend, DIAL_PORT, report, reservationMs, sendAndReceive, startLab, until, type LabNet } from './harness.js'
import { ROUTER_A_IP, ROUTER_B_IP, type NatMode } from './netlab.js'

/** Established TCP connections of a home host to the other home's router, as `local -> peer` strings (ss). */
function directConns (net: LabNet, side: 'a' | 'b'): string[] {
  const peerRouter = side === 'a' ? ROUTER_B_IP : ROUTER_A_IP
  const out = net.lab.exec(net.lab.ns[side], ['ss', '-Htn', 'state', 'established'])
  return out.split('\n').map(l => l.trim().split(/\s+/)).filter(f => f.length >= 4 && f[3].startsWith(`${peerRouter}:`)).map(f => `${f[2]} -> ${f[3]}`)
}

async function publicAddrs (net: LabNet, side: 'a' | 'b'): Promise<string[]> {
  const d = side === 'a' ? net.a : net.b
  const s = await d.call<{ addresses: string[] }>('node.status')
  return s.addresses.filter(a => a.startsWith('/ip4/11.0.0.') && !a.includes('/p2p-circuit'))
}

const BIG = 'x'.repeat(4000)
const BURST = 20

for (const mode of ['cone', 'symmetric'] as NatMode[]) {
  t.test(`hole punching (${mode})`, async t => {
    const timings: Record<string, number | string> = {}
    let ok = false
    try {
      const net = await startLab(t, mode, { holePunch: true })
      timings.reserveA = await reservationMs(net.a)
      timings.reserveB = await reservationMs(net.b)
      if (mode === 'cone') {
        const learned = await until(async () => (await publicAddrs(net, 'a')).length > 0 && (await publicAddrs(net, 'b')).length > 0, 'both learn their public address', 20_000)
        t.ok(learned, 'each node learnt its public address itself')
        t.same(await publicAddrs(net, 'a'), [`/ip4/${ROUTER_A_IP}/tcp/${DIAL_PORT}/p2p/${net.a.peerId}`], 'A announces its router\'s address and port')
      }
      const t0 = Date.now()
      const { aSeesB, bSeesA } = await befriend(net.a, net.b)
      timings.befriend = Date.now() - t0
      const first = await sendAndReceive(net.a, aSeesB, net.b, bSeesA, 'first')
      timings.firstAB = first.ms
      timings.firstPath = String(first.msg.path)
      if (mode === 'cone') {
        // the upgrade starts when the first relayed connection opens (during befriend)
        const conns = await until(() => { const c = directConns(net, 'a'); return c.length > 0 ? c : undefined }, 'a direct connection A ↔ router B', 30_000, 100).catch(err => {
          // what the hosts and routers saw (run with DEBUG=libp2p:dcutr* in the environment for the daemons' side)
          for (const ns of [net.lab.ns.a, net.lab.ns.b]) t.comment(net.lab.exec(ns, ['ss', '-Htna']))
          for (const ns of [net.lab.ns.ra, net.lab.ns.rb]) t.comment(net.lab.exec(ns, ['conntrack', '-L']))
          throw err
        })
        timings.upgrade = Date.now() - t0
        t.ok(conns.some(c => c.endsWith(`${ROUTER_B_IP}:${DIAL_PORT}`)), `A's direct connection goes to B's router: ${conns.join(', ')}`)
        t.ok(directConns(net, 'b').some(c => c.endsWith(`${ROUTER_A_IP}:${DIAL_PORT}`)), 'B\'s direct connection goes to A\'s router')
        // DCUtR closes the relayed connection after the upgrade; give it a moment, then measure the relay
        await new Promise(resolve => setTimeout(resolve, 1000))
        const ab = await sendAndReceive(net.a, aSeesB, net.b, bSeesA, 'direct from A')
        const ba = await sendAndReceive(net.b, bSeesA, net.a, aSeesB, 'direct from B')
        timings.directAB = ab.ms; timings.directBA = ba.ms
        t.equal(ab.msg.path, 'direct', 'A → B takes the direct path')
        t.equal(ba.msg.path, 'direct', 'B → A takes the direct path')
        const before = net.lab.relayBytes()
        for (let i = 0; i < BURST; i++) {
          await sendAndReceive(net.a, aSeesB, net.b, bSeesA, `${i}a${BIG}`)
          await sendAndReceive(net.b, bSeesA, net.a, aSeesB, `${i}b${BIG}`)
        }
        const grew = net.lab.relayBytes() - before
        timings.relayBytesDuringBurst = `${grew}B/${2 * BURST * BIG.length}B`
        t.ok(grew < (2 * BURST * BIG.length) / 10, `relay bytes stopped growing (${grew} bytes for ${2 * BURST * BIG.length} bytes of messages)`)
        ok = ab.msg.path === 'direct' && ba.msg.path === 'direct' && grew < (2 * BURST * BIG.length) / 10
      } else {
        t.same(await publicAddrs(net, 'a'), [], 'A announces no public address (its NAT rewrites ports)')
        // DCUtR has nothing to dial: wait out its attempts (3 × 5 s at most), the conversation stays relayed
        await new Promise(resolve => setTimeout(resolve, 6000))
        t.same(directConns(net, 'a'), [], 'no direct connection through symmetric NATs')
        const ab = await sendAndReceive(net.a, aSeesB, net.b, bSeesA, 'still relayed from A')
        const ba = await sendAndReceive(net.b, bSeesA, net.a, aSeesB, 'still relayed from B')
        timings.relayedAB = ab.ms; timings.relayedBA = ba.ms
        t.equal(ab.msg.path, 'relayed', 'A → B stays relayed')
        t.equal(ba.msg.path, 'relayed', 'B → A stays relayed')
        ok = ab.msg.path === 'relayed' && ba.msg.path === 'relayed'
      }
    } finally {
      report(`holepunch-${mode}`, ok, timings)
    }
  })
}

/**
 * Lab scenario 4 (docs/lab.md): the relay restarts mid-conversation. Mail deposited for an offline contact survives
 * the restart (the relay's mailbox is on disk), mail written while the relay is down waits in the sender's outbox,
 * and the daemons reconnect and re-reserve by themselves (libp2p's reconnect backoff; no manual step).
 */
import '../../node/polyfill.js'
import t from 'tap'
import { befriend, isReserved, messages, report, restartRelay, sendAndReceive, startLab, until, type Msg } from './harness.js'

t.test('relay restart mid-conversation (cone)', async t => {
  const timings: Record<string, number | string> = {}
  let ok = false
  try {
    const net = await startLab(t, 'cone')
    const { aSeesB, bSeesA } = await befriend(net.a, net.b)
    await sendAndReceive(net.a, aSeesB, net.b, bSeesA, 'hello B')
    await sendAndReceive(net.b, bSeesA, net.a, aSeesB, 'hello A')

    // B goes offline: A's next messages go to B's mailbox on the relay
    await net.b.stop()
    const deposited = ['mailbox 1', 'mailbox 2', 'mailbox 3', 'mailbox 4', 'mailbox 5']
    for (const text of deposited) await net.a.call('messages.send', { to: aSeesB, text })
    const t0 = Date.now()
    await until(async () => {
      const out = (await messages(net.a, aSeesB)).filter(m => m.direction === 'out' && deposited.includes(m.text))
      return out.length === deposited.length && out.every(m => m.status === 'mailbox')
    }, 'A deposits 5 messages in B\'s mailbox', 60_000, 200)
    timings.deposit = Date.now() - t0

    // the relay restarts; A writes while it is down
    await net.relay.stop('SIGTERM')
    const downAt = Date.now()
    await until(async () => !(await isReserved(net.a)), 'A notices the relay is gone', 30_000, 200)
    const queued = ['outbox 1', 'outbox 2', 'outbox 3']
    for (const text of queued) await net.a.call('messages.send', { to: aSeesB, text })
    timings.relayStart = await restartRelay(net)
    const upAt = Date.now()
    timings.relayDown = upAt - downAt
    await until(async () => await isReserved(net.a), 'A re-reserves on the restarted relay by itself', 90_000, 200)
    timings.reReserveA = Date.now() - upAt

    // B comes back: it gets the mailbox (kept across the restart) and the queued messages, each once
    net.b.start()
    await net.b.open()
    const backAt = Date.now()
    const want = [...deposited, ...queued]
    await until(async () => {
      const got = new Set((await messages(net.b, bSeesA)).filter(m => m.direction === 'in').map(m => m.text))
      return want.every(x => got.has(x))
    }, 'B receives the mailbox and the queued messages', 90_000, 250)
    timings.bBackToAll = Date.now() - backAt
    await until(async () => await isReserved(net.b), 'B reserves', 30_000, 200)
    const reply = await sendAndReceive(net.b, bSeesA, net.a, aSeesB, 'back online')
    timings.replyBA = reply.ms
    await new Promise(resolve => setTimeout(resolve, 2_000))
    const inB: Msg[] = (await messages(net.b, bSeesA)).filter(m => m.direction === 'in' && want.includes(m.text))
    t.equal(inB.length, want.length, 'every message arrived exactly once')
    t.same(inB.filter(m => deposited.includes(m.text)).map(m => m.path), deposited.map(() => 'mailbox'), 'the deposited ones came from the mailbox kept across the restart')
    timings.queuedPaths = [...new Set(inB.filter(m => queued.includes(m.text)).map(m => String(m.path)))].join('+')
    ok = inB.length === want.length
  } finally {
    report('relay-restart-cone', ok, timings)
  }
})

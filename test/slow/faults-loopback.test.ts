/**
 * Faults on loopback (npm run test:slow): a relay and three daemons A, B, C, befriended pairwise, exchange 2,000
 * messages (each daemon to each of the other two, interleaved, unique texts, a unique idempotencyKey each) while, at
 * random points (seeded PRNG: TERN_FAULTS_SEED reproduces a run), SIGKILL hits
 *  - a sender: a daemon with sends in flight (nobody sends to it meanwhile), so some answers are lost;
 *  - a recipient: a daemon that is not sending while the others keep sending to it, before and during its downtime;
 *  - the relay: restarted on the same port with the same data dir (same PeerId, mailbox kept).
 * Each killed process is restarted after a short pause; every send whose answer was lost is resubmitted after the
 * restart with the SAME idempotencyKey. At the end every message must be in its recipient's history exactly once, in
 * the sender's order, and in its sender's history exactly once.
 */
import '../../node/polyfill.js'
import { join } from 'node:path'
import t from 'tap'
import { spawnRelay, type RelayProcess } from '../helpers/relay-process.js'
import { befriend, startTestnet, until, type TestDaemon } from '../helpers/testnet.js'

t.setTimeout(15 * 60_000)

const TOTAL = 2000
const KILLS_PER_KIND = 2
const LANES_PER_PAIR = 3 // concurrent sends per sender→recipient pair
const OVERRUN = 60 // sends may run at most this far past the next kill's threshold before it starts
const SEND_TIMEOUT_MS = 30_000
const MAX_ATTEMPTS = 30
const SEND_PHASE_MS = 8 * 60_000
const DELIVERY_WAIT_MS = 5 * 60_000

interface Msg { id: string, seq: number, direction: string, text: string, status: string }

/** mulberry32 */
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

async function withTimeout<T> (p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([p, new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms) })])
  } finally { clearTimeout(timer) }
}

async function listAll (d: TestDaemon, withId: string): Promise<Msg[]> {
  const out: Msg[] = []
  let before: number | undefined
  for (let page = 0; page < 100; page++) {
    const { messages } = await d.call<{ messages: Msg[] }>('messages.list', { with: withId, limit: 500, ...(before !== undefined ? { before } : {}) })
    out.unshift(...messages)
    if (messages.length < 500) return out
    before = messages[0].seq
  }
  throw new Error('messages.list: too many pages')
}

interface Pair { s: number, r: number, name: string, texts: string[], keys: string[], next: number }

t.test(`SIGKILL of sender, recipient and relay during a ${TOTAL}-message exchange among three daemons`, async t => {
  t.setTimeout(14 * 60_000)
  const envSeed = process.env.TERN_FAULTS_SEED
  const seed = envSeed !== undefined && envSeed !== '' ? Number(envSeed) >>> 0 : (Math.random() * 2 ** 32) >>> 0
  t.comment(`seed ${seed} (TERN_FAULTS_SEED=${seed} reproduces the kill plan)`)
  const rand = prng(seed)
  const randInt = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1))
  const t0 = Date.now()

  const names = ['A', 'B', 'C']
  const net = await startTestnet(t, names)
  const nodes = net.nodes
  let relay: RelayProcess = net.relay
  t.teardown(async () => { await relay.stop('SIGKILL').catch(() => {}) })
  const relayAddr = relay.addrs.find(a => a.startsWith('/ip4/127.0.0.1/')) ?? relay.addrs[0]
  const relayPort = /\/tcp\/(\d+)\//.exec(relayAddr)?.[1]
  t.ok(relayPort, `relay at ${relayAddr}`)

  // contactId[x][y]: x's contact id for y
  const contactId: string[][] = [[], [], []]
  for (const [x, y] of [[0, 1], [0, 2], [1, 2]]) {
    const { aSeesB, bSeesA } = await befriend(nodes[x], nodes[y])
    contactId[x][y] = aSeesB
    contactId[y][x] = bSeesA
  }
  t.pass(`befriended pairwise in ${Date.now() - t0} ms`)

  // 6 directed pairs: 2000 = 2 × 334 + 4 × 333
  const pairs: Pair[] = []
  for (let s = 0; s < 3; s++) {
    for (let r = 0; r < 3; r++) {
      if (s === r) continue
      const n = Math.floor(TOTAL / 6) + (pairs.length < TOTAL % 6 ? 1 : 0)
      const name = `${names[s]}>${names[r]}`
      pairs.push({ s, r, name, texts: Array.from({ length: n }, (_, i) => `${name} message ${i}`), keys: Array.from({ length: n }, (_, i) => `${seed}-${name}-${i}`), next: 0 })
    }
  }
  t.equal(pairs.reduce((a, p) => a + p.texts.length, 0), TOTAL, `${TOTAL} messages planned`)

  // the kill plan: kinds shuffled, thresholds (accepted sends) spread over 5 %–85 % of the run
  const kinds: Array<'sender' | 'recipient' | 'relay'> = []
  for (let i = 0; i < KILLS_PER_KIND; i++) kinds.push('sender', 'recipient', 'relay')
  for (let i = kinds.length - 1; i > 0; i--) { const j = randInt(0, i); [kinds[i], kinds[j]] = [kinds[j], kinds[i]] }
  const slot = (0.8 * TOTAL) / kinds.length
  const plan = kinds.map((kind, k) => ({
    kind,
    at: Math.floor(0.05 * TOTAL + slot * k + rand() * slot * 0.7),
    victim: randInt(0, 2),
    pauseMs: randInt(200, 1500)
  }))
  t.comment(`kill plan: ${plan.map(p => `${p.kind}${p.kind === 'relay' ? '' : ` ${names[p.victim]}`}@${p.at}`).join(', ')}`)

  // shared state between the senders and the killer
  let accepted = 0
  let killsStarted = 0
  let lostAnswers = 0
  let resubmitted = 0
  const inflight = [0, 0, 0] // sends in flight by sender
  const inflightTo = [0, 0, 0] // sends in flight by recipient
  const down = [false, false, false]
  const holdFrom = [false, false, false] // daemon x sends nothing (a recipient kill is coming)
  const holdTo = [false, false, false] // nobody sends to daemon x (a sender kill is coming)
  const sendDeadline = Date.now() + SEND_PHASE_MS
  const counts = { sender: 0, recipient: 0, relay: 0 }

  const gateOpen = (p: Pair): boolean => !down[p.s] && !holdFrom[p.s] && !holdTo[p.r] &&
    (killsStarted >= plan.length || accepted < plan[killsStarted].at + OVERRUN)

  async function sendOne (p: Pair, i: number): Promise<void> {
    let lastErr: unknown
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      while (!gateOpen(p)) {
        if (Date.now() > sendDeadline) throw new Error(`send phase timed out (${p.name} ${i})`)
        await sleep(20)
      }
      if (attempt > 0) resubmitted++
      const d = nodes[p.s]
      inflight[p.s]++ // synchronously after the gate: the killer sees it
      inflightTo[p.r]++
      try {
        await withTimeout(d.call('messages.send', { to: contactId[p.s][p.r], text: p.texts[i], idempotencyKey: p.keys[i] }), SEND_TIMEOUT_MS, `${p.name} ${i}`)
        accepted++
        return
      } catch (err) {
        lastErr = err
        if (attempt === 0) lostAnswers++
      } finally {
        inflight[p.s]--
        inflightTo[p.r]--
      }
      await sleep(50)
    }
    throw new Error(`${p.name} ${i}: no answer after ${MAX_ATTEMPTS} attempts: ${String(lastErr)}`)
  }

  const lanes = pairs.flatMap(p => Array.from({ length: LANES_PER_PAIR }, async () => {
    while (p.next < p.texts.length) {
      const i = p.next++
      await sendOne(p, i)
    }
  }))
  let sendingDone = false
  const sending = Promise.all(lanes).finally(() => { sendingDone = true })
  sending.catch(() => {}) // awaited below

  async function killDaemon (x: number, pauseMs: number): Promise<void> {
    const d = nodes[x]
    down[x] = true
    process.kill(d.pid, 'SIGKILL')
    await d.stop('SIGKILL')
    await sleep(pauseMs)
    await d.start()
    down[x] = false
  }

  async function killRelay (pauseMs: number): Promise<void> {
    relay.signal('SIGKILL')
    await relay.stop('SIGKILL')
    await sleep(pauseMs)
    let lastErr: unknown
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        relay = await spawnRelay({ dataDir: join(net.dir, 'relay'), args: ['--config', join(net.dir, 'relay.json'), '--listen', `/ip4/127.0.0.1/tcp/${relayPort as string}`] })
        return
      } catch (err) { lastErr = err; await sleep(500) }
    }
    throw new Error(`relay did not come back: ${String(lastErr)}`)
  }

  const killer = (async () => {
    const relayPeerId = relay.peerId
    for (const k of plan) {
      while (accepted < k.at && !sendingDone) {
        if (Date.now() > sendDeadline) throw new Error('kill phase timed out')
        await sleep(10)
      }
      const tk = Date.now()
      // the victim as planned, unless it has (almost) nothing left to send (a sender kill) or to receive (a recipient
      // kill): then the daemon with the most left
      const left = (x: number): number => pairs.filter(p => (k.kind === 'sender' ? p.s : p.r) === x).reduce((a, p) => a + p.texts.length - p.next, 0)
      const v = k.kind === 'relay' || left(k.victim) >= 30 ? k.victim : [0, 1, 2].reduce((best, x) => left(x) > left(best) ? x : best, k.victim)
      if (k.kind === 'sender') {
        holdTo[v] = true
        killsStarted++
        await until(() => inflight[v] > 0 || sendingDone, 'the sender has sends in flight', 10_000, 2).catch(() => {})
        const inFlight = inflight[v]
        const atKill = accepted
        await killDaemon(v, k.pauseMs)
        holdTo[v] = false
        counts.sender++
        t.ok(inFlight > 0, `sender kill of ${names[v]} at ${atKill} accepted with ${inFlight} of its sends in flight; back after ${Date.now() - tk} ms`)
      } else if (k.kind === 'recipient') {
        holdFrom[v] = true
        killsStarted++
        // kill while it sends nothing and the others' sends to it are in flight
        await until(() => inflight[v] === 0, 'the recipient has no send in flight', 35_000, 2)
        await until(() => inflightTo[v] > 0 || sendingDone, 'sends to the recipient in flight', 10_000, 1).catch(() => {})
        const toIt = inflightTo[v]
        const atKill = accepted
        down[v] = true
        holdFrom[v] = false
        const sentTo = (): number => pairs.filter(p => p.r === v).reduce((a, p) => a + p.next, 0)
        const before = sentTo()
        await killDaemon(v, k.pauseMs)
        counts.recipient++
        t.ok(toIt > 0, `recipient kill of ${names[v]} at ${atKill} accepted (${toIt} sends to it in flight at the kill, ${sentTo() - before} more sent to it until it was back after ${Date.now() - tk} ms)`)
      } else {
        killsStarted++
        const atKill = accepted
        await killRelay(k.pauseMs)
        counts.relay++
        t.comment(`relay kill at ${atKill} accepted; back after ${Date.now() - tk} ms`)
        if (relay.peerId !== relayPeerId) throw new Error(`the relay came back as ${relay.peerId}, not ${relayPeerId}`)
      }
    }
  })()

  await Promise.all([sending, killer])
  t.equal(accepted, TOTAL, `every send accepted (${lostAnswers} answers lost, ${resubmitted} resubmissions) after ${Date.now() - t0} ms`)
  t.same(counts, { sender: KILLS_PER_KIND, recipient: KILLS_PER_KIND, relay: KILLS_PER_KIND }, 'kills of each kind')

  // wait (bounded) until every message is in its recipient's history
  const tWait = Date.now()
  const inbox = async (p: Pair): Promise<Msg[]> => (await listAll(nodes[p.r], contactId[p.r][p.s])).filter(m => m.direction === 'in')
  await until(async () => {
    for (const p of pairs) if ((await inbox(p)).length < p.texts.length) return false
    return true
  }, 'every message in its recipient\'s history', DELIVERY_WAIT_MS, 1000).catch(async err => {
    for (const p of pairs) t.comment(`${p.name}: ${(await inbox(p)).length}/${p.texts.length} received`)
    throw err
  })
  t.pass(`all delivered ${Date.now() - tWait} ms after the last send was accepted`)
  await sleep(1000) // late duplicates would show now

  for (const p of pairs) {
    const got = await inbox(p)
    const sent = (await listAll(nodes[p.s], contactId[p.s][p.r])).filter(m => m.direction === 'out')
    const want = new Set(p.texts)
    t.equal(sent.length, p.texts.length, `${p.name}: the sender holds each message once`)
    t.equal(new Set(sent.map(m => m.text)).size, p.texts.length, `${p.name}: no duplicate in the sender's history`)
    t.equal(got.length, p.texts.length, `${p.name}: ${got.length} received, ${p.texts.length} sent`)
    t.equal(new Set(got.map(m => m.text)).size, p.texts.length, `${p.name}: no duplicate in the recipient's history`)
    t.equal(got.filter(m => !want.has(m.text)).length, 0, `${p.name}: nothing foreign received`)
    const firstDiff = got.findIndex((m, i) => m.text !== sent[i]?.text)
    t.equal(firstDiff, -1, `${p.name}: in the sender's order`, { got: got.slice(Math.max(0, firstDiff - 2), firstDiff + 3).map(m => m.text), want: sent.slice(Math.max(0, firstDiff - 2), firstDiff + 3).map(m => m.text) })
  }
  t.comment(`messages ${TOTAL}; kills: sender ${counts.sender}, recipient ${counts.recipient}, relay ${counts.relay}; answers lost ${lostAnswers}, resubmissions ${resubmitted}; ${Date.now() - t0} ms`)
})

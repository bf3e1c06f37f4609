/**
 * History order per sender (PROTOCOL.md §10: "ordered by sequence number per sender, not by clock") over the in-memory
 * Net, whatever order the envelopes arrive in: many late messages filling one gap (ascending, descending, shuffled),
 * mixed direct and mailbox arrivals with duplicates, and a restart with many queued texts (the outbox resumes them in
 * seq order and their ratchet order equals their seq order). Also: no MaxListenersExceededWarning with many attempts.
 */
import t from 'tap'
import { MemoryNetwork, connect, startNode, stopNode, waitFor, type TestNode } from './helpers/memory-net.js'
import { prefixRange, PREFIX } from '../node/store/index.js'
import type { OutboxEntry } from '../node/core/outbox.js'
import { loadSession } from '../node/core/sessions.js'
import { skippedCount } from '../protocol/ratchet/state.js'
import type { Message } from '../node/core/index.js'

/** A deterministic PRNG (mulberry32) for the shuffles. */
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

function shuffled<T> (xs: T[], rnd: () => number): T[] {
  const out = [...xs]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

async function incoming (n: TestNode, withId: string): Promise<Message[]> {
  return (await n.m.listMessages({ with: withId, limit: 500 })).filter(m => m.direction === 'in')
}

/**
 * Alice sends `count` texts while Bob is offline; returns their envelopes in seq order (taken from Alice's outbox,
 * where send() stored them) and empties Bob's mailbox so the test alone decides what Bob gets and in what order.
 */
async function queuedEnvelopes (network: MemoryNetwork, a: TestNode, b: TestNode, aToB: string, count: number, label: string): Promise<Uint8Array[]> {
  b.net.setOnline(false)
  network.fault = (from) => from === a.m.peerId ? 'drop' : 'deliver'
  for (let i = 0; i < count; i++) await a.m.send({ to: aToB, text: `${label}${i}` })
  const entries = await waitFor('envelopes built', async () => {
    const list = (await a.store.listJson<OutboxEntry>(prefixRange(PREFIX.outbox))).map(e => e.value)
      .filter(e => e.kind === 'text' && e.contactId === aToB)
    return list.length === count && list.every(e => e.envelope !== null) ? list : undefined
  })
  await a.m.stop() // no more attempts: the test delivers by hand
  for (const q of network.queueOf(b.m.peerId)) q.items = []
  network.fault = () => 'deliver'
  return entries.sort((x, y) => (x.seq as number) - (y.seq as number)).map(e => Buffer.from(e.envelope as string, 'base64url'))
}

/** Hands Bob one envelope as the Net would: direct (authenticated sender) or from a mailbox (found by trial). */
async function deliverTo (b: TestNode, from: TestNode, envelope: Uint8Array, via: 'direct' | 'mailbox'): Promise<void> {
  await b.net.deliver(via === 'direct'
    ? { from: from.m.peerId, path: 'direct', envelope }
    : { path: 'mailbox', queueId: new Uint8Array(16), envelope })
}

const ORDERS: Array<[string, (n: number) => number[]]> = [
  ['last first, then the rest ascending', n => [n - 1, ...Array.from({ length: n - 1 }, (_, i) => i)]],
  ['all descending', n => Array.from({ length: n }, (_, i) => n - 1 - i)],
  ['shuffled (seed 1)', n => shuffled(Array.from({ length: n }, (_, i) => i), prng(1))],
  ['shuffled (seed 7)', n => shuffled(Array.from({ length: n }, (_, i) => i), prng(7))],
  ['inside out', n => Array.from({ length: n }, (_, i) => i % 2 === 0 ? Math.floor(n / 2) + i / 2 : Math.floor(n / 2) - (i + 1) / 2).filter(i => i >= 0 && i < n)]
]

for (const [name, order] of ORDERS) {
  t.test(`late messages filling one gap (${name}), direct and mailbox mixed, duplicated: sender order`, async tt => {
    const network = new MemoryNetwork()
    const a = await startNode(network, 'alice')
    const b = await startNode(network, 'bob')
    tt.teardown(async () => { await stopNode(a); await stopNode(b) })
    const [aToB, bToA] = await connect(a, b)
    // some history of both sides first, so late messages land between other messages
    await b.m.send({ to: bToA, text: 'bob says hi' })
    await waitFor('bob\'s hi', async () => (await a.m.listMessages({ with: aToB })).length === 1)

    const N = 40
    const envs = await queuedEnvelopes(network, a, b, aToB, N, 'm')
    const idx = order(N)
    tt.equal(new Set(idx).size, N, 'the order is a permutation')
    const rnd = prng(3)
    for (const [k, i] of idx.entries()) {
      await deliverTo(b, a, envs[i], k % 2 === 0 ? 'direct' : 'mailbox')
      if (rnd() < 0.3) await deliverTo(b, a, envs[i], rnd() < 0.5 ? 'direct' : 'mailbox') // duplicate
      if (k === N / 2) await b.m.send({ to: bToA, text: 'bob interrupts' }) // an outgoing message in the middle
    }
    const got = await incoming(b, bToA)
    tt.same(got.map(m => m.text), Array.from({ length: N }, (_, i) => `m${i}`), 'each once, in the sender\'s seq order')
    const seqs = (await b.m.listMessages({ with: bToA, limit: 500 })).map(m => m.seq)
    tt.same(seqs, [...seqs].sort((x, y) => x - y), 'positions ascending')
    tt.equal(new Set(seqs).size, seqs.length, 'positions unique')
    tt.equal(b.events.filter(e => e.type === 'message.received').length, N, 'one message.received per message')
  })
}

t.test('1,000 late messages squeezed into one gap (999 skipped keys, then descending): order and exactly-once kept', async tt => {
  const network = new MemoryNetwork()
  const a = await startNode(network, 'alice')
  const b = await startNode(network, 'bob')
  tt.teardown(async () => { await stopNode(a); await stopNode(b) })
  const [aToB, bToA] = await connect(a, b)
  const N = 1100
  const envs = await queuedEnvelopes(network, a, b, aToB, N, 'g')
  // 0..99 in order, then the last (999 skipped keys: within MAX_SKIP), then the rest descending into the gap before it
  // (halving the gap, as before the fix, ran out after 10 of them)
  const order = [...Array.from({ length: 100 }, (_, i) => i), N - 1, ...Array.from({ length: N - 101 }, (_, i) => N - 2 - i)]
  for (const [k, i] of order.entries()) await deliverTo(b, a, envs[i], k % 3 === 0 ? 'mailbox' : 'direct')
  await deliverTo(b, a, envs[5], 'mailbox') // a duplicate after the moves
  const all = await b.m.listMessages({ with: bToA, limit: 500 })
  const got: Message[] = []
  for (let page = all; page.length > 0; page = await b.m.listMessages({ with: bToA, limit: 500, before: page[0].seq })) got.unshift(...page)
  tt.equal(got.length, N, 'each once')
  tt.ok(got.every((m, i) => m.text === `g${i}`), 'in the sender\'s seq order')
  const ids = await Promise.all(got.slice(0, 3).map(async m => (await b.m.listMessages({ with: bToA, before: m.seq + 1, limit: 1 }))[0]?.id))
  tt.same(ids, got.slice(0, 3).map(m => m.id), 'the id index follows the moves (positions are consistent)')
})

t.test('restart with many queued texts: resumed in seq order, encrypted in seq order, received in order', async tt => {
  const network = new MemoryNetwork()
  let a = await startNode(network, 'alice')
  let b = await startNode(network, 'bob')
  tt.teardown(async () => { await stopNode(a); await stopNode(b) })
  const [aToB, bToA] = await connect(a, b)

  // Bob down without a mailbox copy: every text stays queued in Alice's outbox across her restart.
  await stopNode(b)
  for (const [qid, q] of [...network.queues]) if (q.owner === b.m.peerId) network.queues.delete(qid)
  const N = 60
  for (let i = 0; i < N; i++) await a.m.send({ to: aToB, text: `q${i}` })
  await stopNode(a)
  a = await startNode(network, 'alice', a)

  // the envelopes fed to Bob in seq order must decrypt with no skipped key: ratchet order == seq order
  const entries = (await a.store.listJson<OutboxEntry>(prefixRange(PREFIX.outbox))).map(e => e.value)
    .filter(e => e.kind === 'text' && e.envelope !== null)
  tt.equal(entries.length, N, 'every text queued with its envelope (encrypted by send())')

  b = await startNode(network, 'bob', b)
  await waitFor('all received', async () => (await incoming(b, bToA)).length >= N, 20000)
  // from the event log, not a live subscription: Bob may receive (and tell) the first before startNode returns
  const order = (await b.store.events.readAfter(0, 10_000)).filter(e => e.type === 'message.received')
    .map(e => (e.data as { message: Message }).message.text)
  const want = Array.from({ length: N }, (_, i) => `q${i}`)
  tt.same((await incoming(b, bToA)).map(m => m.text), want, 'history in the sender\'s order')
  tt.same(order, want, 'the outbox resumed them in seq order (arrival order = seq order on an in-order net)')
  const session = await loadSession(b.store, bToA)
  tt.equal(skippedCount(session!.recvChains), 0, 'received in seq order with no skipped key: ratchet order == seq order')
})

t.test('texts queued before the session exists are encrypted in seq order', async tt => {
  const network = new MemoryNetwork()
  const a = await startNode(network, 'alice')
  const b = await startNode(network, 'bob')
  tt.teardown(async () => { await stopNode(a); await stopNode(b) })
  // Bob invites and goes offline; Alice (the invitee) has no session until Bob's accept arrives, so her texts wait
  // in the outbox without envelopes, and are built when the session exists (in seq order, whatever the kick order).
  const { invite } = await b.m.createInvite({})
  b.net.setOnline(false)
  const c = await a.m.addContact({ invite, name: 'bob' })
  const N = 25
  for (let i = 0; i < N; i++) await a.m.send({ to: c.id, text: `p${i}` })
  b.net.setOnline(true)
  const bToA = await waitFor('bob has alice', async () => (await b.m.listContacts()).find(x => x.peerId === a.m.peerId)?.id)
  await waitFor('all received', async () => (await incoming(b, bToA)).length >= N, 20000)
  tt.same((await incoming(b, bToA)).map(m => m.text), Array.from({ length: N }, (_, i) => `p${i}`))
  tt.equal(skippedCount((await loadSession(b.store, bToA))!.recvChains), 0, 'built in seq order: no skipped key')
})

t.test('many attempts in flight: no MaxListenersExceededWarning; stop aborts them', async tt => {
  const warnings: string[] = []
  const onWarning = (w: Error): void => { warnings.push(w.name) }
  process.on('warning', onWarning)
  tt.teardown(() => { process.off('warning', onWarning) })
  const network = new MemoryNetwork()
  const a = await startNode(network, 'alice')
  const b = await startNode(network, 'bob')
  const [aToB] = await connect(a, b)
  // direct sends hang until aborted: 40 attempts are in flight at once
  let hanging = 0
  a.net.sendDirect = async (_p, _e, opts) => {
    hanging++
    return await new Promise((_resolve, reject) => { opts.signal.addEventListener('abort', () => reject(opts.signal.reason), { once: true }) })
  }
  for (let i = 0; i < 40; i++) await a.m.send({ to: aToB, text: `h${i}` })
  await waitFor('in flight', () => hanging >= 40)
  await stopNode(a)
  await stopNode(b)
  await new Promise(resolve => setImmediate(resolve))
  tt.same(warnings.filter(w => w === 'MaxListenersExceededWarning'), [], 'no listener leak warning')
})

t.test('a message more than MAX_SKIP ahead is left unacknowledged, and taken when it comes again after the gap filled', async tt => {
  const network = new MemoryNetwork()
  const a = await startNode(network, 'alice')
  const b = await startNode(network, 'bob')
  tt.teardown(async () => { await stopNode(a); await stopNode(b) })
  const [aToB, bToA] = await connect(a, b)
  const N = 1100
  const envs = await queuedEnvelopes(network, a, b, aToB, N, 'f')
  // the last one first: 1,099 skipped keys would be needed (MAX_SKIP is 1,000)
  await tt.rejects(deliverTo(b, a, envs[N - 1], 'direct'), { code: 'ERR_TOO_MANY_SKIPPED' }, 'rejected, so the Net does not acknowledge it (direct)')
  await tt.rejects(deliverTo(b, a, envs[N - 1], 'mailbox'), { code: 'ERR_TOO_MANY_SKIPPED' }, 'rejected, so the relay keeps it (mailbox)')
  tt.equal((await incoming(b, bToA)).length, 0, 'nothing stored')
  for (let i = 0; i < N - 1; i++) await deliverTo(b, a, envs[i], 'direct')
  await deliverTo(b, a, envs[N - 1], 'mailbox') // the retry, after the gap filled
  const got: Message[] = []
  for (let page = await b.m.listMessages({ with: bToA, limit: 500 }); page.length > 0; page = await b.m.listMessages({ with: bToA, limit: 500, before: page[0].seq })) got.unshift(...page)
  tt.equal(got.length, N, 'each once')
  tt.ok(got.every((m, i) => m.text === `f${i}`), 'in the sender\'s seq order')
})

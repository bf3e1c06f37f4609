/**
 * A text leaves before its write is fsync'd (node/core/sessions.ts, the sending reservation; docs/node.md
 * Durability): what a power cut in that moment does. The cut is simulated on the in-memory KV: Alice's store is
 * copied just before a send (what the disk holds when the power goes), the send goes out and reaches Bob, and Alice
 * starts again from the copy. Her next text must not reuse the lost text's message key (Bob would take it for a
 * duplicate and drop it), and the client's retry of the lost text (same idempotencyKey) must not show it twice.
 */
import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { MemoryNetwork, connect, startNode, stopNode, waitFor, type TestNode } from './helpers/memory-net.js'
import type { Timings } from '../node/core/index.js'
import { MemoryKV, PREFIX, messagePrefix, prefixRange, type KVOp, type KVWriteOptions } from '../node/store/index.js'
import { generateIdentity } from '../protocol/identity/index.js'
import { systemRng } from '../protocol/crypto/index.js'
import { loadSessionRecord } from '../node/core/sessions.js'

/** A kept in-memory KV that remembers which batches asked for a deferred fsync, and can be copied. */
class CutKV extends MemoryKV {
  readonly deferred: string[][] = []
  readonly durable: string[][] = []
  override async batch (ops: KVOp[], opts?: KVWriteOptions): Promise<void> {
    if (opts?.deferSync === true) this.deferred.push(ops.map(o => o.key))
    else if (opts?.sync !== false) this.durable.push(ops.map(o => o.key))
    await super.batch(ops, opts)
  }

  override async close (): Promise<void> {}

  /** What the disk holds now. */
  async copy (): Promise<CutKV> {
    const c = new CutKV()
    const ops: KVOp[] = []
    for await (const [key, value] of this.iterate()) ops.push({ type: 'put', key, value })
    if (ops.length > 0) await c.batch(ops)
    c.deferred.length = 0; c.durable.length = 0
    return c
  }
}

async function texts (n: TestNode, contact: string): Promise<string[]> {
  return (await n.m.listMessages({ with: contact })).map(m => m.text)
}

interface CutScene {
  network: MemoryNetwork
  /** Alice's disk */
  kv: CutKV
  a: TestNode
  b: TestNode
  aToB: string
  bToA: string
  /** Alice again, from what `disk` holds (her node in `a` stopped first by the test); stopped at the end */
  restart: (disk: CutKV) => Promise<TestNode>
}

/**
 * Alice on a CutKV and Bob with `bobTimings`, contacts of each other once the handshake's receipts and infos have
 * settled. Every node started here is stopped at the end of the test.
 */
async function cutScene (tt: Test, bobTimings: Partial<Timings>): Promise<CutScene> {
  const network = new MemoryNetwork()
  const kv = new CutKV()
  const live = new Set<TestNode>()
  tt.teardown(async () => { for (const n of live) await stopNode(n) })
  const started = async (p: Promise<TestNode>): Promise<TestNode> => { const n = await p; live.add(n); return n }
  const a = await started(startNode(network, 'alice', { identity: generateIdentity(systemRng), dbKey: new Uint8Array(randomBytes(32)), kv } as unknown as TestNode))
  const b = await started(startNode(network, 'bob', undefined, { timings: bobTimings }))
  const [aToB, bToA] = await connect(a, b)
  await new Promise(resolve => setTimeout(resolve, 300))
  return {
    network, kv, a, b, aToB, bToA,
    restart: async (disk) => { live.delete(a); return await started(startNode(network, 'alice', { ...a, kv: disk })) }
  }
}

t.test('a text lost by a power cut after it left: no key reused, the retry kept once', async tt => {
  // Bob holds his delivery receipts: nothing he sends ends Alice's sending chain while the test looks at it
  const { kv, a, b, aToB, bToA, restart } = await cutScene(tt, { RECEIPT_DELAY_MS: 60_000 })

  await a.m.send({ to: aToB, text: 'one' })
  await waitFor('bob has one', async () => (await texts(b, bToA)).includes('one'))
  await new Promise(resolve => setTimeout(resolve, 100))

  const disk = await kv.copy() // the power goes while 'two' is on the wire: its write never reached the disk
  const before = kv.deferred.length
  const two = await a.m.send({ to: aToB, text: 'two', idempotencyKey: 'k-two' })
  tt.equal(kv.deferred.length, before + 1, "'two' was sent before its write's fsync (its key reserved by 'one')")
  tt.ok(kv.deferred[before].some(k => k.startsWith(PREFIX.session)), 'that write holds the advanced session')
  await waitFor('bob has two', async () => (await texts(b, bToA)).includes('two'))
  await stopNode(a)

  const a2 = await restart(disk)
  tt.same(await texts(a2, aToB), ['one'], "alice restarted without 'two'")
  // a new text first: with the lost text's key it would be a duplicate at Bob, acknowledged and dropped
  await a2.m.send({ to: aToB, text: 'three' })
  tt.equal(disk.deferred.length, 0, 'the first send after the restart waits for its own fsync (nothing reserved by this run)')
  await waitFor('bob has three', async () => (await texts(b, bToA)).includes('three'))
  // the client never had an answer for 'two': it sends it again with the same key
  const again = await a2.m.send({ to: aToB, text: 'two', idempotencyKey: 'k-two' })
  tt.equal(again.id, two.id, 'the retry has the lost text\'s id (derived from the idempotency key)')
  await waitFor('the retry acknowledged', async () => {
    const st = (await a2.m.listMessages({ with: aToB })).find(m => m.id === again.id)?.status
    return st !== undefined && st !== 'queued'
  })
  await new Promise(resolve => setTimeout(resolve, 200))
  tt.same(await texts(b, bToA), ['one', 'two', 'three'], 'Bob shows each text once, in the order they left')
  tt.same(await texts(a2, aToB), ['one', 'three', 'two'], "Alice's own list: the retry is a send after 'three'")
  const seqs = (await b.store.listJson<{ senderSeq: number }>(prefixRange(messagePrefix(bToA)))).map(e => e.value.senderSeq)
  tt.equal(new Set(seqs).size, seqs.length, `no sender seq used twice (${seqs.join(', ')}): 'three' skipped the lost text's`)
  // and the conversation goes on both ways
  await b.m.send({ to: bToA, text: 'reply' })
  await waitFor('alice has the reply', async () => (await texts(a2, aToB)).includes('reply'))
  await a2.m.send({ to: aToB, text: 'four' })
  await waitFor('bob has four', async () => (await texts(b, bToA)).includes('four'))
  tt.same(await texts(b, bToA), ['one', 'two', 'three', 'reply', 'four'])
})

t.test('the retry of a text lost by a power cut gets its receipts again: it reaches read', async tt => {
  // receipts held long enough that 'two' still goes on the chain of 'one' (early), short enough to wait for
  const { kv, a, b, aToB, bToA, restart } = await cutScene(tt, { RECEIPT_DELAY_MS: 1500 })
  await a.m.send({ to: aToB, text: 'one' })
  await waitFor('bob has one', async () => (await texts(b, bToA)).includes('one'))
  await new Promise(resolve => setTimeout(resolve, 100))

  const disk = await kv.copy()
  const before = kv.deferred.length
  const two = await a.m.send({ to: aToB, text: 'two', idempotencyKey: 'k-two' })
  tt.equal(kv.deferred.length, before + 1, "'two' left before its write's fsync")
  // Bob reads it, and both receipts reach the Alice whose state the cut then loses
  const atBob = await waitFor('bob has two', async () => (await b.m.listMessages({ with: bToA })).find(m => m.text === 'two'))
  await b.m.markRead({ with: bToA, upTo: atBob.seq })
  const statusAt = async (n: TestNode): Promise<string | undefined> => (await n.m.listMessages({ with: aToB })).find(m => m.id === two.id)?.status
  await waitFor("alice saw 'two' read", async () => (await statusAt(a)) === 'read')
  await stopNode(a)

  const a2 = await restart(disk)
  tt.equal(await statusAt(a2), undefined, "restarted without 'two'")
  const again = await a2.m.send({ to: aToB, text: 'two', idempotencyKey: 'k-two' })
  tt.equal(again.id, two.id, 'the retry has the same id')
  // without the receipts sent again for a known id, the retry stays at sent for good
  await waitFor('the retry reaches read', async () => (await statusAt(a2)) === 'read')
  tt.equal(await statusAt(a2), 'read')
  tt.same(await texts(b, bToA), ['one', 'two'], 'Bob still shows it once')
  tt.equal((await b.m.listMessages({ with: bToA })).find(m => m.text === 'two')?.status, 'read', 'and it stays read at Bob')
})

t.test('a text lost by a power cut, then a DH step before the next send: its late copy still opens, seqs stay unique', async tt => {
  // Bob holds his receipts: nothing of his moves Alice's chains while the test looks at them
  const { network, kv, a, b, aToB, bToA, restart } = await cutScene(tt, { RECEIPT_DELAY_MS: 60_000 })
  // Bob speaks first, so that Alice's 'one' starts a chain of hers that Bob's next text answers with a DH step
  const hello = await b.m.send({ to: bToA, text: 'hello' })
  // and Alice's receipt for it has gone, so nothing of hers waits to be sent when she restarts
  await waitFor("alice's receipt for hello", async () => (await b.m.listMessages({ with: bToA })).find(m => m.id === hello.id)?.status === 'delivered')
  await a.m.send({ to: aToB, text: 'one' })
  await waitFor('bob has one', async () => (await texts(b, bToA)).includes('one'))

  // the power goes while 'two' is on its way, and 'two' does not reach Bob now (it will come late, as from a mailbox)
  const disk = await kv.copy()
  let late: Uint8Array | undefined
  network.fault = (from, to, envelope) => {
    // lost on the way, and Alice cut off at once: no retry or mailbox copy of hers reaches Bob before the cut
    if (from === a.m.peerId && late === undefined) { late = envelope.slice(); a.net.setOnline(false); return 'drop' }
    return 'deliver'
  }
  const before = kv.deferred.length
  await a.m.send({ to: aToB, text: 'two', idempotencyKey: 'k-two' })
  await waitFor("'two' on the wire", () => late !== undefined)
  tt.equal(kv.deferred.length, before + 1, "'two' left before its write's fsync")
  const oldRun = (await loadSessionRecord(a.store, aToB))?.reserved?.run
  await stopNode(a)
  network.fault = () => 'deliver'

  const a2 = await restart(disk)
  await b.m.send({ to: bToA, text: 'reply' })
  await waitFor('alice has the reply', async () => (await texts(a2, aToB)).includes('reply'))
  const rec = await loadSessionRecord(a2.store, aToB)
  tt.equal(rec?.state.sendChainKey, null, 'a DH step pending')
  tt.ok(rec?.reserved !== undefined && rec.reserved.count > rec.state.prevSendCount, 'a reservation above the stored PN')
  tt.equal(rec?.reserved?.run, oldRun, "the old run's: the new run has sent nothing yet")
  await a2.m.send({ to: aToB, text: 'three' })
  await waitFor('bob has three', async () => (await texts(b, bToA)).includes('three'))
  tt.notOk((await texts(b, bToA)).includes('two'), "Bob has not had 'two' yet")
  // the late copy of 'two' now reaches Bob: the key for it was kept because PN counted it
  await b.net.deliver({ from: a2.m.peerId, path: 'mailbox', envelope: late as Uint8Array })
  const fromAlice = (await b.m.listMessages({ with: bToA })).filter(m => m.direction === 'in').map(m => m.text)
  tt.same(fromAlice, ['one', 'two', 'three'], "Bob opened the late 'two', and keeps Alice's texts in her order")
  const seqs = (await b.store.listJson<{ senderSeq?: number, direction: string }>(prefixRange(messagePrefix(bToA))))
    .filter(e => e.value.direction === 'in').map(e => e.value.senderSeq)
  tt.equal(new Set(seqs).size, seqs.length, `no sender seq of Alice's used twice (${seqs.join(', ')})`)
})

t.test('a restart without a power cut: the reserved key is skipped once, nothing is lost', async tt => {
  const network = new MemoryNetwork()
  const a = await startNode(network, 'alice')
  const b = await startNode(network, 'bob')
  let a2: TestNode | undefined
  tt.teardown(async () => { await stopNode(b); if (a2 !== undefined) await stopNode(a2) })
  const [aToB, bToA] = await connect(a, b)
  for (const text of ['x1', 'x2', 'x3']) await a.m.send({ to: aToB, text })
  await waitFor('bob has x3', async () => (await texts(b, bToA)).includes('x3'))
  await stopNode(a)
  a2 = await startNode(network, 'alice', a)
  for (const text of ['y1', 'y2']) await a2.m.send({ to: aToB, text })
  await waitFor('bob has y2', async () => (await texts(b, bToA)).includes('y2'))
  tt.same(await texts(b, bToA), ['x1', 'x2', 'x3', 'y1', 'y2'])
})

t.test('only a reserved key goes early: the first text of a new chain waits for its fsync, the next does not', async tt => {
  const { kv, a, b, aToB, bToA } = await cutScene(tt, { RECEIPT_DELAY_MS: 60_000 })
  const early = async (text: string): Promise<boolean> => {
    const before = kv.deferred.length
    await a.m.send({ to: aToB, text })
    return kv.deferred.length > before
  }
  tt.equal(await early('a1'), false, 'the first text after the handshake starts a chain: durable first')
  tt.equal(await early('a2'), true, 'the next one goes early')
  tt.equal(await early('a3'), true)
  await waitFor('bob has a3', async () => (await texts(b, bToA)).includes('a3'))
  await b.m.send({ to: bToA, text: 'b1' }) // on a new chain of Bob's: Alice's next text answers on a new one too
  await waitFor('alice has b1', async () => (await texts(a, aToB)).includes('b1'))
  tt.equal(await early('a4'), false, 'a new chain: its key pair is durable before its first text leaves')
  tt.equal(await early('a5'), true)
  await waitFor('bob has a5', async () => (await texts(b, bToA)).includes('a5'))
  tt.same(await texts(b, bToA), ['a1', 'a2', 'a3', 'b1', 'a4', 'a5'])
})

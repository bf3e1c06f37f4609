/**
 * The core's write modes (node/core/constants.ts LAZY_WRITE, node/store/db.ts WriteOptions): every write that
 * advances a ratchet session or stores a received message is durable (sync); only the retry-repairable bookkeeping
 * (status moves, outbox deletions after an ack, lastSeen) is lazy. And the write count of a burst: its delivery
 * receipts are sealed together (node/core/delivery.ts buildReceipts).
 */
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { MemoryNetwork, connect, startNode, stopNode, waitFor, type TestNode } from './helpers/memory-net.js'
import { MemoryKV, PREFIX, messagePrefix, prefixRange, type KVOp, type KVWriteOptions } from '../node/store/index.js'
import { generateIdentity } from '../protocol/identity/index.js'
import { systemRng } from '../protocol/crypto/index.js'

interface Write { keys: string[], sync: boolean | undefined }

/** A kept in-memory KV that records each batch's keys and its sync option. */
class RecordingKV extends MemoryKV {
  readonly writes: Write[] = []
  override async batch (ops: KVOp[], opts?: KVWriteOptions): Promise<void> {
    this.writes.push({ keys: ops.map(o => o.key), sync: opts?.sync })
    await super.batch(ops)
  }

  override async close (): Promise<void> {}
}

async function recordingNode (network: MemoryNetwork, name: string, opts: Parameters<typeof startNode>[3] = {}): Promise<TestNode & { kv: RecordingKV }> {
  const kv = new RecordingKV()
  const prior = { identity: generateIdentity(systemRng), dbKey: new Uint8Array(randomBytes(32)), kv } as unknown as TestNode
  return await startNode(network, name, prior, opts) as TestNode & { kv: RecordingKV }
}

t.test('session and received-message writes are durable; bookkeeping is lazy', async tt => {
  const network = new MemoryNetwork()
  const a = await recordingNode(network, 'alice')
  const b = await recordingNode(network, 'bob')
  tt.teardown(async () => { await stopNode(a); await stopNode(b) })
  const [aToB] = await connect(a, b)
  const fromA = a.kv.writes.length
  const fromB = b.kv.writes.length
  const m = await a.m.send({ to: aToB, text: 'durable?' })
  await waitFor('delivered', async () => (await a.m.listMessages({ with: aToB })).find(x => x.id === m.id)?.status === 'delivered')
  const writes = [...a.kv.writes.slice(fromA), ...b.kv.writes.slice(fromB)]
  const touches = (w: Write, prefix: string): boolean => w.keys.some(k => k.startsWith(prefix))
  const sessionWrites = writes.filter(w => touches(w, PREFIX.session))
  tt.ok(sessionWrites.length >= 3, 'send, receive and the receipt\'s receive each advance a session')
  tt.same(sessionWrites.filter(w => w.sync === false), [], 'no session write is lazy')
  const received = b.kv.writes.slice(fromB).filter(w => touches(w, PREFIX.message))
  tt.ok(received.length >= 1 && received.every(w => w.sync !== false), 'the received message is written durably before the ack')
  tt.ok(writes.some(w => w.sync === false), 'status moves and outbox deletions are lazy')
  const aWrites = a.kv.writes.slice(fromA)
  const first = aWrites.find(w => w.keys.includes(`${PREFIX.outbox}${m.id}`))
  tt.ok(first !== undefined && touches(first, PREFIX.session) && touches(first, PREFIX.message),
    'send() queues and encrypts the text in ONE write: the first attempt needs no write before the wire')
  const receive = received[0]
  tt.ok(receive !== undefined && touches(receive, PREFIX.session) && touches(receive, PREFIX.outbox),
    'the receive write holds the message, the session and the (unsealed) delivery receipt: nothing is acked before it')
})

t.test('a burst of messages is answered by ONE delivery receipt (one seal, one write on each side)', async tt => {
  const network = new MemoryNetwork()
  const a = await recordingNode(network, 'alice')
  const b = await recordingNode(network, 'bob')
  tt.teardown(async () => { await stopNode(a); await stopNode(b) })
  const [aToB] = await connect(a, b)
  // let the handshake's own receipts and infos settle
  await new Promise(resolve => setTimeout(resolve, 300))
  const fromB = b.kv.writes.length
  const N = 10
  const sent = await Promise.all(Array.from({ length: N }, async (_, i) => await a.m.send({ to: aToB, text: `burst ${i}` })))
  await waitFor('all delivered', async () => {
    const list = await a.m.listMessages({ with: aToB })
    return sent.every(m => list.find(x => x.id === m.id)?.status === 'delivered')
  })
  const touches = (w: Write, prefix: string): boolean => w.keys.some(k => k.startsWith(prefix))
  const bWrites = b.kv.writes.slice(fromB)
  // a receipt seal advances the session and writes outbox entries, but stores no message
  const seals = bWrites.filter(w => touches(w, PREFIX.session) && touches(w, PREFIX.outbox) && !touches(w, PREFIX.message))
  tt.ok(seals.length >= 1 && seals.length < N / 2, `receipts of ${N} messages sealed in ${seals.length} write(s)`)
  tt.ok(seals.every(w => w.sync !== false), 'a receipt seal advances the session: durable')
})

t.test('the "sent" moves of messages sent one by one are written later, lazily, in fewer writes; stop() writes what is queued', async tt => {
  const network = new MemoryNetwork()
  const a = await recordingNode(network, 'alice')
  const b = await recordingNode(network, 'bob')
  tt.teardown(async () => { await stopNode(a); await stopNode(b) })
  const [aToB, bToA] = await connect(a, b)
  await new Promise(resolve => setTimeout(resolve, 300))
  const fromA = a.kv.writes.length
  const N = 10
  const sent: Array<{ id: string }> = []
  for (let i = 0; i < N; i++) sent.push(await a.m.send({ to: aToB, text: `one by one ${i}` }))
  await waitFor('all sent', async () => {
    const list = await a.m.listMessages({ with: aToB })
    return sent.every(m => ['sent', 'delivered'].includes(list.find(x => x.id === m.id)?.status ?? ''))
  })
  await a.m.flushSent()
  const moves = a.kv.writes.slice(fromA).filter(w => w.keys.some(k => k.startsWith(PREFIX.outbox)) && !w.keys.some(k => k.startsWith(PREFIX.session)))
  tt.ok(moves.length >= 1 && moves.length < N, `${N} sent moves (outbox deletions) in ${moves.length} write(s)`)
  tt.ok(moves.every(w => w.sync === false), 'lazy')
  const left = (await a.store.listJson<{ id: string }>(prefixRange(PREFIX.outbox))).filter(e => sent.some(m => e.value.id === m.id))
  tt.same(left, [], 'their outbox entries are gone')

})

t.test('a "sent" move still queued when the messenger stops is written by stop(), not dropped with its timer', async tt => {
  const network = new MemoryNetwork()
  // the move's timer and Bob's delivery receipt both far away: only stop() can write it, and nothing overtakes it
  // however slowly this machine polls
  const a = await recordingNode(network, 'alice', { timings: { SENT_STATUS_DELAY_MS: 60_000 } })
  const b = await recordingNode(network, 'bob', { timings: { RECEIPT_DELAY_MS: 60_000 } })
  tt.teardown(async () => { await stopNode(a); await stopNode(b) })
  const [aToB, bToA] = await connect(a, b)
  // Alice's "sent" queue, watched: the move is queued once she has read Bob's ack
  const sent = (a.m as unknown as { ctx: { sent: { add: (...args: unknown[]) => void } } }).ctx.sent
  const queued: unknown[] = []
  const add = sent.add.bind(sent)
  sent.add = (...args: unknown[]) => { queued.push(args); add(...args) }
  const last = await a.m.send({ to: aToB, text: 'just before stop' })
  await waitFor('bob has it', async () => (await b.m.listMessages({ with: bToA })).some(x => x.id === last.id))
  await waitFor('alice has the ack', () => queued.length > 0)
  tt.equal((await a.m.listMessages({ with: aToB })).find(x => x.id === last.id)?.status, 'queued', 'not written yet')
  await a.m.stop()
  const page = await a.store.listJson<{ id: string, status: string }>(prefixRange(messagePrefix(aToB)))
  tt.equal(page.find(e => e.value.id === last.id)?.value.status, 'sent', 'the last message is sent after stop()')
})

t.test("a fresh text's first attempt starts from what send() wrote: its outbox entry is not read back", async tt => {
  const network = new MemoryNetwork()
  const a = await startNode(network, 'alice', undefined, { timings: { SENT_STATUS_DELAY_MS: 60_000 } })
  const b = await startNode(network, 'bob')
  tt.teardown(async () => { await stopNode(a); await stopNode(b) })
  const [aToB, bToA] = await connect(a, b)
  await new Promise(resolve => setTimeout(resolve, 200))
  // every store read, cached or not, goes through Store.get
  const reads: string[] = []
  const get = a.store.get.bind(a.store)
  a.store.get = async (key: string) => { reads.push(key); return await get(key) }
  const m = await a.m.send({ to: aToB, text: 'primed' })
  await waitFor('bob has it', async () => (await b.m.listMessages({ with: bToA })).some(x => x.text === 'primed'))
  tt.same(reads.filter(k => k === `${PREFIX.outbox}${m.id}`), [], 'no read of its outbox entry on the way to Bob')
  tt.equal((await b.m.listMessages({ with: bToA })).filter(x => x.text === 'primed').length, 1, 'received once')
})

/**
 * The encrypted Store's read cache, decoded-value memo and group commit (node/store/db.ts, cache.ts): reads of
 * written values skip the KV, a read that overlaps a write never caches a stale value, the batches queued behind a
 * write go as ONE KV batch with their own cursors and results, and one bad batch fails alone. Also getSync on both KVs.
 */
import t from 'tap'
import { join } from 'node:path'
import { LevelKV, MemoryKV, Store, STORE_CACHE_BYTES, type KVOp, type KVWriteOptions } from '../node/store/index.js'
import { tmpDir } from './helpers/tmp.js'

const KEY = new Uint8Array(32).fill(5)
const b = (s: string): Uint8Array => new TextEncoder().encode(s)

/** A MemoryKV that counts reads and records each batch (keys and sync option). */
class CountingKV extends MemoryKV {
  reads = 0
  batches: Array<{ keys: string[], sync: boolean | undefined }> = []
  override async get (key: string): Promise<Uint8Array | undefined> { this.reads++; return await super.get(key) }
  override getSync (key: string): Uint8Array | undefined { this.reads++; return super.getSync(key) }
  override async batch (ops: KVOp[], opts?: KVWriteOptions): Promise<void> {
    this.batches.push({ keys: ops.map(o => o.key), sync: opts?.sync })
    await super.batch(ops)
  }
}

/** Batches wait for release(); a batch holding `poison` fails. */
class GatedKV extends CountingKV {
  private gate: Promise<void> | undefined
  private open: (() => void) | undefined
  hold (): void { this.gate = new Promise(resolve => { this.open = resolve }) }
  release (): void { this.open?.(); this.gate = undefined }
  override async batch (ops: KVOp[], opts?: KVWriteOptions): Promise<void> {
    const g = this.gate
    if (g !== undefined) await g
    if (ops.some(o => o.key === 'c/poison')) throw new Error('poisoned batch')
    await super.batch(ops, opts)
  }
}

/** No getSync: reads resolve when the test says so (a LevelDB read still on the thread pool). */
class SlowReadKV extends MemoryKV {
  override getSync = undefined as unknown as MemoryKV['getSync']
  private waiting: Array<() => void> = []
  slow = false
  override async get (key: string): Promise<Uint8Array | undefined> {
    const v = MemoryKV.prototype.getSync.call(this, key) // what the read sees when it starts
    if (this.slow) await new Promise<void>(resolve => { this.waiting.push(resolve) })
    return v
  }

  finishReads (): void { for (const w of this.waiting.splice(0)) w() }
  override async close (): Promise<void> {} // kept, so a second Store (empty cache) opens the same data
}

t.test('getSync returns what get returns (MemoryKV and LevelKV)', async t => {
  const level = await LevelKV.open(join(await tmpDir(t), 'db'), { sync: false })
  t.teardown(async () => { await level.close() })
  for (const kv of [new MemoryKV(), level]) {
    await kv.batch([{ type: 'put', key: 'c/a', value: b('A') }])
    t.same(kv.getSync?.('c/a'), await kv.get('c/a'))
    t.equal(kv.getSync?.('c/missing'), undefined)
    const v = kv.getSync?.('c/a') as Uint8Array
    v[0] = 0
    t.same(await kv.get('c/a'), b('A'), 'a copy: changing it changes nothing stored')
  }
})

t.test('written values are read back from the cache; deletes too; without a cache every read goes to the KV', async t => {
  const kv = new CountingKV()
  const st = await Store.create(kv, KEY, { cacheBytes: STORE_CACHE_BYTES })
  await st.batch().putJson('c/x', { n: 1 }).putJson('c/y', { n: 2 }).write()
  const before = kv.reads
  t.same(await st.getJson('c/x'), { n: 1 })
  t.same(await st.getJson('c/y'), { n: 2 })
  await st.batch().putJson('c/x', { n: 3 }).del('c/y').write()
  t.same(await st.getJson('c/x'), { n: 3 }, 'the newer value')
  t.equal(await st.getJson('c/y'), undefined, 'deleted')
  t.equal(kv.reads, before, 'no KV read')
  const copy = await st.get('c/x') as Uint8Array
  copy.fill(0)
  t.same(await st.getJson('c/x'), { n: 3 }, 'callers get copies')
  await st.close()

  const plain = new CountingKV()
  const st2 = await Store.create(plain, KEY)
  await st2.putJson('c/x', { n: 1 })
  const r = plain.reads
  await st2.getJson('c/x'); await st2.getJson('c/x')
  t.equal(plain.reads, r + 2, 'no cache by default')
  await st2.close()
})

t.test('a read that overlaps a write does not cache what it read', async t => {
  const kv = new SlowReadKV()
  const writer = await Store.create(kv, KEY)
  await writer.putJson('c/x', { v: 'old' })
  await writer.close()
  const st = await Store.create(kv, KEY, { cacheBytes: STORE_CACHE_BYTES }) // c/x not cached
  kv.slow = true
  const reading = st.getJson('c/x') // starts, sees 'old', then waits
  await new Promise(resolve => setImmediate(resolve))
  await st.putJson('c/x', { v: 'new' })
  kv.finishReads()
  t.same(await reading, { v: 'old' }, 'the slow read returns what it saw')
  const again = st.getJson('c/x')
  kv.finishReads()
  await new Promise(resolve => setImmediate(resolve))
  kv.finishReads()
  t.same(await again, { v: 'new' }, 'and the cache holds the write, not the stale read')
  await st.close()
})

t.test('getMemo decodes once per written value; putJson can hand it the decoded form', async t => {
  const st = await Store.create(new MemoryKV(), KEY, { cacheBytes: STORE_CACHE_BYTES })
  let decodes = 0
  const decode = (j: unknown): { n: number } => { decodes++; return Object.freeze({ n: (j as { n: number }).n }) }
  await st.putJson('s/a', { n: 1 })
  const first = await st.getMemo('s/a', decode)
  const second = await st.getMemo('s/a', decode)
  t.equal(decodes, 1, 'decoded once')
  t.equal(first, second, 'the same object')
  const given = Object.freeze({ n: 2 })
  await st.batch().putJson('s/a', { n: 2 }, given).write()
  t.equal(await st.getMemo('s/a', decode), given, 'the decoded form the writer gave')
  t.equal(decodes, 1, 'no decode')
  await st.batch().putJson('s/a', { n: 3 }).write()
  t.same(await st.getMemo('s/a', decode), { n: 3 }, 'a write without a memo: decoded again')
  t.equal(decodes, 2)
  t.equal(await st.getMemo('s/missing', decode), undefined)
  await st.close()
})

t.test('group commit: batches queued behind a write go as ONE KV batch, each with its own cursors, in order', async t => {
  const kv = new GatedKV()
  const st = await Store.create(kv, KEY, { cacheBytes: STORE_CACHE_BYTES })
  const seen: number[] = []
  st.events.subscribe(e => { seen.push(e.cursor) })
  kv.hold()
  const first = st.batch().putJson('c/a', 1).appendEvent('x').write()
  await new Promise(resolve => setImmediate(resolve))
  const queued = [
    st.batch().putJson('c/b', 2).appendEvent('x').write({ sync: false }),
    st.batch().putJson('c/c', 3).appendEvent('x').appendEvent('x').write(),
    st.batch().putJson('c/d', 4).write({ sync: false })
  ]
  const batchesBefore = kv.batches.length
  kv.release()
  const results = await Promise.all([first, ...queued])
  t.same(results.map(r => r.cursors), [[1], [2], [3, 4], []], 'cursors in queue order')
  t.same(seen, [1, 2, 3, 4], 'listeners in cursor order')
  t.equal(kv.batches.length - batchesBefore, 2, 'the first write, then the three queued ones together')
  const group = kv.batches[kv.batches.length - 1]
  t.ok(['c/b', 'c/c', 'c/d'].every(k => group.keys.includes(k)), 'one KV batch holds all three')
  t.not(group.sync, false, 'durable: one of its members is')
  for (const [k, v] of [['c/a', 1], ['c/b', 2], ['c/c', 3], ['c/d', 4]] as const) t.equal(await st.getJson(k), v)

  kv.hold()
  const f = st.batch().putJson('c/e', 5).write({ sync: false })
  await new Promise(resolve => setImmediate(resolve))
  const lazy = [st.batch().putJson('c/f', 6).write({ sync: false }), st.batch().putJson('c/g', 7).write({ sync: false })]
  kv.release()
  await Promise.all([f, ...lazy])
  t.equal(kv.batches[kv.batches.length - 1].sync, false, 'a group of lazy writes stays lazy')
  await st.close()
})

t.test('group commit: a batch that fails fails alone', async t => {
  const kv = new GatedKV()
  const st = await Store.create(kv, KEY, { cacheBytes: STORE_CACHE_BYTES })
  kv.hold()
  const first = st.batch().putJson('c/a', 1).write()
  await new Promise(resolve => setImmediate(resolve))
  const ok1 = st.batch().putJson('c/b', 2).write()
  const bad = st.batch().putJson('c/poison', 0).putJson('c/x', 9).write()
  const ok2 = st.batch().putJson('c/c', 3).write()
  kv.release()
  await first
  await ok1
  await t.rejects(bad, /poisoned/, 'the bad batch rejects')
  await ok2
  t.equal(await st.getJson('c/b'), 2)
  t.equal(await st.getJson('c/c'), 3)
  t.equal(await st.getJson('c/x'), undefined, 'nothing of the failed batch is stored or cached')
  await st.close()
})

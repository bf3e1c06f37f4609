/**
 * Events are told to listeners once their write has reached the OS, before its fsync (node/store/db.ts commitGroup,
 * KVWriteOptions.onWritten): the journal holds the record when the listener runs, the write resolves after it, and
 * no event is told twice, also when a group write fails after the OS had it and its members are retried alone.
 */
import t from 'tap'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { decodeRecords, Journal, JOURNAL_FILE } from '../node/store/journal.js'
import { LevelKV, MemoryKV, Store, type KVOp, type KVWriteOptions } from '../node/store/index.js'
import { tmpDir } from './helpers/tmp.js'

const KEY = new Uint8Array(32).fill(9)
const b = (s: string): Uint8Array => new TextEncoder().encode(s)
const keysIn = (path: string): string[] => decodeRecords(readFileSync(path)).flat().map(o => o.key)

t.test('journal: the callback runs once the record is in the file, before append returns', async t => {
  const path = join(await tmpDir(t), 'journal')
  const { journal } = Journal.open(path)
  t.teardown(() => { journal.release() })
  let seen: string[] | undefined
  journal.append([{ type: 'put', key: 'c/a', value: b('A') }], true, () => { seen = keysIn(path) })
  t.same(seen, ['c/a'], 'the record was readable from the file inside the callback')
  let calls = 0
  journal.append([{ type: 'put', key: 'c/b', value: b('B') }], false, () => { calls++ })
  t.equal(calls, 1, 'called for a lazy append too')
})

t.test('LevelKV: onWritten runs after the journal write, before the batch resolves; not yet readable then', async t => {
  const dir = join(await tmpDir(t), 'db')
  const kv = await LevelKV.open(dir)
  t.teardown(async () => { await kv.close() })
  const order: string[] = []
  let inJournal: string[] = []
  let readInside: Uint8Array | undefined = b('x')
  const p = kv.batch([{ type: 'put', key: 'c/k', value: b('V') }], {
    sync: true,
    onWritten: () => {
      order.push('written')
      inJournal = keysIn(join(dir, JOURNAL_FILE))
      readInside = kv.getSync('c/k')
    }
  }).then(() => { order.push('resolved') })
  await p
  t.same(order, ['written', 'resolved'])
  t.ok(inJournal.includes('c/k'), 'the journal file held the batch when the callback ran')
  t.equal(readInside, undefined, 'reads see the batch only once it resolved')
  t.same(kv.getSync('c/k'), b('V'))
  // a callback that throws changes nothing for the write
  await kv.batch([{ type: 'put', key: 'c/t', value: b('T') }], { onWritten: () => { throw new Error('listener bug') } })
  t.same(kv.getSync('c/t'), b('T'))
})

t.test('Store on LevelKV: each event is told once, in cursor order, before its write resolves (also grouped)', async t => {
  const store = await Store.create(await LevelKV.open(join(await tmpDir(t), 'db')), KEY, { cacheBytes: 1 << 20 })
  t.teardown(async () => { await store.close() })
  const told: number[] = []
  let writing = false
  let toldWhileWriting = 0
  store.events.subscribe(e => { told.push(e.cursor); if (writing) toldWhileWriting++ })
  for (let i = 0; i < 5; i++) {
    writing = true
    const { cursors } = await store.batch().putJson(`c/${i}`, { i }).appendEvent('test', { i }).write()
    writing = false
    t.same(told.slice(-1), cursors)
  }
  t.equal(toldWhileWriting, 5, 'every event was told before its write resolved')
  // a group: batches queued behind a running write commit together, each event still told once, in cursor order
  const rs = await Promise.all([0, 1, 2].map(async i => await store.batch().appendEvent('group', { i }).write()))
  t.same(told, [...new Set(told)], 'none twice')
  t.same(told.slice(-3), rs.flatMap(r => r.cursors))
})

/** Fails every batch that holds `c/poison` AFTER it told onWritten (an fsync failure), others pass through. */
class FailAfterWrittenKV extends MemoryKV {
  override async batch (ops: KVOp[], opts?: KVWriteOptions): Promise<void> {
    if (ops.some(o => o.key === 'c/poison')) { opts?.onWritten?.(); throw new Error('fsync failed') }
    await super.batch(ops, opts)
  }
}

t.test('a group that fails after the OS had it: members retried alone, no event told twice', async t => {
  const kv = new FailAfterWrittenKV()
  const store = await Store.create(kv, KEY)
  t.teardown(async () => { await store.close() })
  const told: string[] = []
  store.events.subscribe(e => { told.push((e.data as { name: string }).name) })
  // hold the writer on a first write so that the next two are grouped
  const first = store.batch().appendEvent('e', { name: 'first' }).write()
  const good = store.batch().putJson('c/good', 1).appendEvent('e', { name: 'good' }).write()
  const bad = store.batch().putJson('c/poison', 1).appendEvent('e', { name: 'poison' }).write()
  await first
  await t.resolves(good)
  await t.rejects(bad, /fsync failed/)
  t.same(told, ['first', 'good', 'poison'], 'each once; the failed write had been told (documented: db.ts commitGroup)')
  t.equal(await store.getJson('c/good'), 1)
  t.equal(await store.getJson('c/poison'), undefined)
})

/** Knows when a batch is inside the KV (between the call and its return). */
class PhaseKV extends MemoryKV {
  inBatch = false
  override async batch (ops: KVOp[], opts?: KVWriteOptions): Promise<void> {
    this.inBatch = true
    try { await super.batch(ops, opts) } finally { this.inBatch = false }
  }
}

t.test('the store tells listeners from inside the KV write (where a journal fsync follows), not after it', async t => {
  const kv = new PhaseKV()
  const store = await Store.create(kv, KEY)
  t.teardown(async () => { await store.close() })
  const phases: boolean[] = []
  store.events.subscribe(() => { phases.push(kv.inBatch) })
  await store.batch().appendEvent('e', {}).write()
  await Promise.all([1, 2, 3].map(async () => await store.batch().appendEvent('e', {}).write()))
  t.same(phases, [true, true, true, true])
})

/**
 * node/store/journal.ts and LevelKV's use of it: what is read back from a journal is exactly the run of latest
 * batches (a torn, stale or out-of-sequence record ends it); a batch is readable (point reads and scans) as soon as
 * it resolves, before LevelDB has it; the journal wraps once LevelDB holds everything; reopening applies what LevelDB
 * missed. SIGKILL at random points: test/store-crash.test.ts (every acknowledged batch survives, atomically).
 */
import t from 'tap'
import { join } from 'node:path'
import { readFileSync, writeFileSync } from 'node:fs'
import { decodeRecords, encodeRecord, Journal, JOURNAL_BYTES, JOURNAL_FILE } from '../node/store/journal.js'
import { LevelKV, type KVOp } from '../node/store/index.js'
import { tmpDir } from './helpers/tmp.js'

const b = (s: string): Uint8Array => new TextEncoder().encode(s)
const put = (key: string, v: string): KVOp => ({ type: 'put', key, value: b(v) })
const text = (v: Uint8Array | undefined): string | undefined => v === undefined ? undefined : new TextDecoder().decode(v)

t.test('records: round trip; a torn, stale-epoch, out-of-sequence or altered record ends the run', async t => {
  const r1 = encodeRecord(7, 1, [put('c/a', 'one'), { type: 'del', key: 'c/b' }])
  const r2 = encodeRecord(7, 2, [put('c/a', 'two')])
  const r3 = encodeRecord(7, 3, [put('c/c', 'three')])
  const all = Buffer.concat([r1, r2, r3, new Uint8Array(100)])
  const got = decodeRecords(all)
  t.equal(got.length, 3)
  t.same(got[0].map(o => [o.type, o.key, o.type === 'put' ? text(o.value) : null]), [['put', 'c/a', 'one'], ['del', 'c/b', null]])
  t.equal(decodeRecords(Buffer.concat([r1, r2, r3.subarray(0, r3.length - 1)])).length, 2, 'torn last record')
  t.equal(decodeRecords(Buffer.concat([r1, encodeRecord(8, 2, [put('c/x', 'x')])])).length, 1, 'other epoch after it')
  t.equal(decodeRecords(Buffer.concat([r1, encodeRecord(7, 3, [put('c/x', 'x')])])).length, 1, 'seq gap')
  const bad = Buffer.from(r2); bad[bad.length - 1] ^= 1
  t.equal(decodeRecords(Buffer.concat([r1, bad, r3])).length, 1, 'altered body: hash fails')
  t.equal(decodeRecords(new Uint8Array(64)).length, 0, 'zeros: nothing')
})

t.test('LevelKV: readable when resolved (point reads and scans), applied to LevelDB later, wraps, reopens', async t => {
  const dir = join(await tmpDir(t), 'db')
  const kv = await LevelKV.open(dir, { applyDelayMs: 60_000 }) // nothing reaches LevelDB unless a scan or close asks
  await kv.batch([put('c/a', 'A'), put('c/b', 'B')])
  await kv.batch([{ type: 'del', key: 'c/b' }, put('c/c', 'C')], { sync: false })
  t.equal(text(kv.getSync('c/a')), 'A', 'getSync sees a journaled put')
  t.equal(await kv.get('c/b'), undefined, 'get sees a journaled delete')
  t.equal(await kv.db.get('c/a'), undefined, 'LevelDB does not have it yet')
  const scanned: string[] = []
  for await (const [k, v] of kv.iterate({ gte: 'c/', lt: 'c0' })) scanned.push(`${k}=${text(v)}`)
  t.same(scanned, ['c/a=A', 'c/c=C'], 'a scan applies what is pending first')
  t.equal(text(await kv.db.get('c/a')), 'A', 'then LevelDB has it')

  // more than the preallocated journal without a scan: it drains and starts again by itself
  const value = 'v'.repeat(4000)
  const n = Math.ceil(2.5 * JOURNAL_BYTES / 4100)
  for (let i = 0; i < n; i++) await kv.batch([put(`m/${String(i).padStart(6, '0')}`, `${i}:${value}`)])
  t.equal(text(kv.getSync(`m/${String(n - 1).padStart(6, '0')}`))?.split(':')[0], String(n - 1))
  await kv.close()

  const again = await LevelKV.open(dir)
  let count = 0
  for await (const [k, v] of again.iterate({ gte: 'm/', lt: 'm0' })) { if (text(v)?.startsWith(`${Number(k.slice(2))}:`) === true) count++ }
  t.equal(count, n, `all ${n} batches there after a wrap and a reopen`)
  t.equal(text(again.getSync('c/c')), 'C')
  await again.close()
})

t.test('steady writes past half the journal: few reset tries (each fsyncs LevelDB), and a reset once they pause', async t => {
  const dir = join(await tmpDir(t), 'db')
  const kv = await LevelKV.open(dir, { applyDelayMs: 2 })
  const value = 'v'.repeat(3000)
  // a write every ms or so (an apply every 2 ms; past half the journal, a reset try after each, which writes made
  // during its fsyncs may defeat) until the journal is 60% full, ending on a write
  let i = 0
  let written = 0
  for (; i < 3000 && (i < 10 || kv.journalStats.used < 0.6 * JOURNAL_BYTES); i++) {
    await new Promise(resolve => setTimeout(resolve, 1))
    await kv.batch([put(`m/${String(i).padStart(6, '0')}`, value)])
    written += 3100
  }
  const { used, resetTries } = kv.journalStats
  t.ok(used >= 0.6 * JOURNAL_BYTES, `${used} bytes of journal in use after ${i} writes`)
  // at most one try per sixteenth of journal written (and a few that pauses allowed); one per apply before
  const bound = 2 + Math.ceil(16 * written / JOURNAL_BYTES)
  t.ok(resetTries <= bound, `${resetTries} reset tries for ${i} writes (at most ${bound})`)
  // the writes pause: a try RESET_IDLE_MS later finds nothing written meanwhile and resets
  const t0 = Date.now()
  while (kv.journalStats.used > 0 && Date.now() - t0 < 5000) await new Promise(resolve => setTimeout(resolve, 10))
  t.equal(kv.journalStats.used, 0, `reset once the writes paused (after ${Date.now() - t0} ms)`)
  await kv.close()
  const again = await LevelKV.open(dir)
  t.equal(text(again.getSync(`m/${String(i - 1).padStart(6, '0')}`)), value, 'everything there after a reopen')
  await again.close()
})

t.test('reopen applies journaled batches LevelDB never got (a crash before the apply)', async t => {
  const dir = join(await tmpDir(t), 'db')
  const kv = await LevelKV.open(dir, { applyDelayMs: 60_000 })
  await kv.batch([put('c/kept', 'only in the journal')])
  // simulate the crash: keep a copy of the journal as it is now, let close() apply and invalidate, then put it back
  const journal = readFileSync(join(dir, JOURNAL_FILE))
  await kv.close()
  const wipe = await LevelKV.open(dir, { journal: false })
  await wipe.del('c/kept') // LevelDB as it was before the batch
  await wipe.close()
  writeFileSync(join(dir, JOURNAL_FILE), journal)
  const back = await LevelKV.open(dir)
  t.equal(text(await back.db.get('c/kept')), 'only in the journal', 'applied to LevelDB on open, before any read')
  await back.close()
  const after = await LevelKV.open(dir, { journal: false })
  t.equal(text(await after.get('c/kept')), 'only in the journal', 'and durable there')
  await after.close()
})

t.test('a batch written without fsync is made durable in the journal before LevelDB gets it', async t => {
  const dir = join(await tmpDir(t), 'db')
  const kv = await LevelKV.open(dir, { applyDelayMs: 60_000 })
  const calls: string[] = []
  const syncOrig = Journal.prototype.sync
  Journal.prototype.sync = async function (this: Journal) { calls.push('journal fdatasync'); await syncOrig.call(this) }
  t.teardown(() => { Journal.prototype.sync = syncOrig })
  const db = kv.db as unknown as { _batch: (...a: unknown[]) => Promise<void> }
  const batchOrig = db._batch.bind(db)
  db._batch = async (...a: unknown[]) => { calls.push('leveldb write'); await batchOrig(...a) }
  await kv.batch([put('c/lazy', 'L')], { sync: false })
  await kv.settle()
  t.same(calls, ['journal fdatasync', 'leveldb write'])
  await kv.close()
})

const turn = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }

t.test("deferred appends: written at once, fdatasync'd at the end of the turn or before anything that needs it", async t => {
  const dir = await tmpDir(t)
  const path = join(dir, JOURNAL_FILE)
  const { journal: j } = Journal.open(path)
  const log: string[] = []
  const cb = (name: string) => (err?: Error): void => { log.push(err === undefined ? `${name} synced` : `${name} failed`) }

  j.append([put('c/a', 'A')], 'deferred', () => log.push('a written'), cb('a'))
  t.same(log, ['a written'], 'written at once, not yet synced')
  t.equal(j.deferring, true)
  await turn()
  t.same(log, ['a written', 'a synced'], 'synced in the check phase of the same turn')
  t.equal(j.deferring, false)

  log.length = 0
  j.append([put('c/b', 'B')], 'deferred', () => log.push('b written'), cb('b'))
  j.append([put('c/c', 'C')], 'deferred', () => log.push('c written'), cb('c'))
  t.same(log, ['b written', 'b synced', 'c written'], 'a second deferred append makes the first durable before it is written')
  await turn()
  t.same(log, ['b written', 'b synced', 'c written', 'c synced'])

  log.length = 0
  j.append([put('c/d', 'D')], 'deferred', () => log.push('d written'), cb('d'))
  j.append([put('c/e', 'E')], false, () => log.push('e written'))
  t.same(log, ['d written', 'e written'], 'a lazy append neither waits for nor forces it')
  j.append([put('c/f', 'F')], true, () => log.push('f written'))
  t.same(log, ['d written', 'e written', 'f written', 'd synced'], "a durable append's own fdatasync covers it")
  t.equal(j.deferring, false)

  log.length = 0
  j.append([put('c/g', 'G')], 'deferred', undefined, cb('g'))
  await j.sync()
  t.same(log, ['g synced'], 'sync() (before LevelDB gets the records) makes it durable first')
  j.append([put('c/h', 'H')], 'deferred', undefined, cb('h'))
  j.release()
  t.same(log, ['g synced', 'h synced'], 'release() too')
  await turn() // the scheduled flush finds nothing to do on a released journal
  const { journal: again, batches } = Journal.open(path)
  t.same(batches.map(ops => ops.map(o => o.key)).flat(), ['c/a', 'c/b', 'c/c', 'c/d', 'c/e', 'c/f', 'c/g', 'c/h'], 'every record kept, in order')
  again.append([put('c/i', 'I')], 'deferred', undefined, cb('i'))
  again.close()
  t.same(log, ['g synced', 'h synced', 'i synced'], 'close() too')
})

t.test('LevelKV deferSync: resolves when written, readable at once, onSynced after the fsync; other KVs do not defer', async t => {
  const dir = join(await tmpDir(t), 'db')
  const kv = await LevelKV.open(dir, { applyDelayMs: 60_000 })
  t.equal(kv.defersSync, true)
  const log: string[] = []
  await kv.batch([put('c/x', 'X')], { sync: true, deferSync: true, onWritten: () => log.push('written'), onSynced: (err) => log.push(err === undefined ? 'synced' : 'failed') })
  log.push('resolved')
  t.equal(text(kv.getSync('c/x')), 'X', 'readable once resolved')
  t.same(log, ['written', 'resolved'])
  await turn()
  t.same(log, ['written', 'resolved', 'synced'])
  await kv.batch([put('c/y', 'Y')], { sync: true, onSynced: () => log.push('durable y') })
  t.same(log.slice(3), ['durable y'], 'a durable batch calls onSynced before it resolves')
  await kv.close()
  const plain = await LevelKV.open(join(await tmpDir(t), 'db2'), { journal: false })
  t.equal(plain.defersSync, false, 'without the journal: no deferral (the store then treats the batch as durable)')
  await plain.close()
})

t.test('an apply round gives LevelDB the last operation of each key only, and the same state', async t => {
  const dir = join(await tmpDir(t), 'db')
  const kv = await LevelKV.open(dir, { applyDelayMs: 60_000 })
  const db = kv.db as unknown as { _batch: (ops: Array<{ key: string, type: string }>, o: unknown) => Promise<void> }
  const batchOrig = db._batch.bind(db)
  const seen: string[][] = []
  db._batch = async (ops, o) => { seen.push(ops.map(op => `${op.type} ${op.key}`)); await batchOrig(ops, o) }
  await kv.batch([put('c/x', 'x1'), put('s/x', 's1'), put('o/1', 'entry')])
  await kv.batch([put('c/x', 'x2'), put('s/x', 's2'), { type: 'del', key: 'o/1' }, put('e/1', 'ev1')])
  await kv.batch([put('c/x', 'x3'), put('e/2', 'ev2')], { sync: false })
  await kv.settle()
  t.same(seen, [['put s/x', 'del o/1', 'put e/1', 'put c/x', 'put e/2']], 'one write, one operation per key')
  await kv.close()
  const again = await LevelKV.open(dir)
  t.same([text(await again.get('c/x')), text(await again.get('s/x')), await again.get('o/1'), text(await again.get('e/1')), text(await again.get('e/2'))],
    ['x3', 's2', undefined, 'ev1', 'ev2'])
  await again.close()
})

t.test('close() refuses writes from its start; a write racing it is refused or kept, never lost', async t => {
  const dir = join(await tmpDir(t), 'db')
  const kv = await LevelKV.open(dir)
  const big = 'x'.repeat(60_000)
  for (let i = 0; i < 10; i++) await kv.batch([put(`b/${i}`, big)])
  await new Promise(resolve => setTimeout(resolve, 25)) // the apply ran; past half the journal, the reset runs
  const closing = kv.close()
  const late = kv.batch([put('c/late', 'late')]).then(() => 'resolved', (e: { code?: string }) => e.code)
  await closing
  const outcome = await late
  const again = await LevelKV.open(dir)
  const stored = text(await again.get('c/late'))
  t.ok(outcome === 'ERR_STORE_CLOSED' || stored === 'late', `the racing write: ${outcome}, stored: ${String(stored)}`)
  t.equal(outcome, 'ERR_STORE_CLOSED', 'refused: close() had begun')
  await again.close()
})

t.test('LevelDB refusing a write: reads still see it, scans fail instead of missing it, the next open applies it', async t => {
  const dir = join(await tmpDir(t), 'db')
  const kv = await LevelKV.open(dir, { applyDelayMs: 60_000 })
  const db = kv.db as unknown as { _batch: (...a: unknown[]) => Promise<void> }
  const batchOrig = db._batch.bind(db)
  db._batch = async () => { throw new Error('disk full (test)') }
  await kv.batch([put('c/x', 'X')])
  await t.rejects(async () => { for await (const _ of kv.iterate({ gte: 'c/', lt: 'c0' })) {} }, /disk full/, 'the scan fails')
  t.equal(text(await kv.get('c/x')), 'X', 'a point read still sees it')
  await t.rejects(kv.batch([put('c/y', 'Y')]), /disk full/, 'further writes are refused')
  db._batch = batchOrig
  await kv.close() // keeps the journal: LevelDB does not have c/x
  const again = await LevelKV.open(dir)
  t.equal(text(await again.get('c/x')), 'X', 'applied from the journal at the next open')
  await again.close()
})

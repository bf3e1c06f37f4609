/**
 * The store's deferred fsync (node/store/db.ts WriteOptions.deferSync): a write that resolves once it is in the
 * kernel and readable, whose WriteResult.durable settles after the fsync at the end of the event loop's turn; how
 * group commit combines it with lazy and durable writes; a KV that cannot defer makes it durable before resolving.
 */
import t from 'tap'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { MemoryKV, Store, openStore, type KVOp, type KVWriteOptions } from '../node/store/index.js'
import { tmpDir } from './helpers/tmp.js'

const turn = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }
const key = (): Uint8Array => new Uint8Array(randomBytes(32))

function settled (p: Promise<void>): { done: boolean, failed: boolean } {
  const s = { done: false, failed: false }
  p.then(() => { s.done = true }, () => { s.failed = true })
  return s
}

t.test('on LevelDB with the journal: resolved and readable before the fsync, durable after it', async t => {
  const store = await openStore(join(await tmpDir(t), 'db'), key())
  t.teardown(async () => { await store.close() })
  const r = await store.batch().putJson('c/a', { v: 1 }).appendEvent('x.y', { n: 1 }).write({ deferSync: true })
  const s = settled(r.durable)
  await Promise.resolve()
  t.equal(s.done, false, 'not durable when the write resolves')
  t.same(await store.getJson('c/a'), { v: 1 }, 'readable at once')
  t.equal(r.cursors.length, 1)
  await turn()
  t.equal(s.done, true, 'durable at the end of the turn')
  const plain = await store.batch().putJson('c/b', { v: 2 }).write()
  const p = settled(plain.durable)
  await Promise.resolve()
  t.equal(p.done, true, 'a durable write is durable when it resolves')
})

t.test('on a KV that cannot defer: durable when it resolves', async t => {
  const store = await Store.create(new MemoryKV(), key())
  const r = await store.batch().putJson('c/a', { v: 1 }).write({ deferSync: true })
  const s = settled(r.durable)
  await Promise.resolve()
  t.equal(s.done, true)
  await store.close()
})

/** A KV that defers (onSynced at the end of the turn), records each batch's options and can hold the first batch. */
class GateKV extends MemoryKV {
  readonly defersSync = true
  readonly seen: Array<KVWriteOptions | undefined> = []
  gate: Promise<void> | undefined
  override async batch (ops: KVOp[], opts?: KVWriteOptions): Promise<void> {
    this.seen.push(opts === undefined ? undefined : { ...(opts.sync !== undefined ? { sync: opts.sync } : {}), ...(opts.deferSync === true ? { deferSync: true } : {}) })
    const gate = this.gate
    this.gate = undefined
    if (gate !== undefined) await gate
    await super.batch(ops, { ...opts, onSynced: undefined })
    if (opts?.deferSync === true) setImmediate(() => { opts.onSynced?.() })
    else opts?.onSynced?.()
  }
}

t.test('group commit: deferred with lazy stays deferred; with a durable member the group is durable at once', async t => {
  const kv = new GateKV()
  const store = await Store.create(kv, key())
  t.teardown(async () => { await store.close() })
  const run = async (...opts: Array<Parameters<ReturnType<Store['batch']>['write']>[0]>): Promise<Array<{ done: boolean, failed: boolean }>> => {
    let open!: () => void
    kv.gate = new Promise<void>(resolve => { open = resolve })
    const first = store.batch().putJson('c/first', 1).write({ sync: false }) // in flight: the next ones queue behind it
    await Promise.resolve()
    const rest = opts.map((o, i) => store.batch().putJson(`c/${i}`, i).write(o))
    kv.seen.length = 0
    open()
    await first
    const results = await Promise.all(rest)
    const states = results.map(r => settled(r.durable))
    await Promise.resolve(); await Promise.resolve()
    return states
  }
  let s = await run({ deferSync: true }, { sync: false })
  t.same(kv.seen, [{ sync: true, deferSync: true }], 'deferred + lazy: one deferred batch')
  t.equal(s[0].done, false, 'not durable yet')
  await turn()
  t.equal(s[0].done, true)
  s = await run({ deferSync: true }, { sync: true })
  t.same(kv.seen, [{ sync: true }], 'deferred + durable: one durable batch')
  t.same(s.map(x => x.done), [true, true], 'both durable when they resolve')
  s = await run({ deferSync: true }, {})
  t.same(kv.seen, [{ sync: true }], "deferred + the KV's default: durable")
  s = await run({ sync: false }, { sync: false })
  t.same(kv.seen, [{ sync: false }], 'lazy + lazy: lazy')
  await turn()
})

t.test('a deferred fsync that fails: durable rejects, the KV fails every later write, nothing hangs', async t => {
  const fs = await import('node:fs')
  let fail = false
  const db = await t.mockImport<typeof import('../node/store/db.js')>('../node/store/db.js', {
    'node:fs': {
      ...fs,
      fdatasyncSync: (fd: number): void => {
        if (fail) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })
        fs.fdatasyncSync(fd)
      }
    }
  })
  const store = await db.openStore(join(await tmpDir(t), 'db'), key())
  const r = await store.batch().putJson('c/a', 1).write({ deferSync: true })
  fail = true
  const outcome = await r.durable.then(() => 'durable', (e: { code?: string }) => e.code)
  t.equal(outcome, 'EIO', 'the fsync error reaches the writer')
  await t.rejects(store.batch().putJson('c/b', 2).write(), { code: 'EIO' }, 'the next write fails: the record may not be on the disk')
  await t.rejects(store.durableSoFar(), { code: 'EIO' })
  fail = false
  await store.close().catch(() => {})
})

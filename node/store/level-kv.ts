/**
 * The LevelDB KV (level 10 / classic-level). Keys utf8 (ASCII by keys.ts), values raw bytes ('view' encoding).
 * Writes default to sync=true: a write that resolved survives kill -9 and power loss. A write may ask for sync=false
 * (db.ts WriteOptions): it is then handed to the kernel before it resolves, so it still survives kill -9 of the
 * process, but not an OS crash or power loss. LevelDB's own LOCK file makes a second open of the same directory
 * fail: that surfaces as HomeInUseError.
 *
 * With the journal (the default; journal.ts): a batch is written to the journal first (fdatasync'd on the event loop
 * when durable) and resolves then; LevelDB receives the journaled batches APPLY_DELAY_MS later, several in one write
 * without fsync (the journal is what makes them durable). Until then reads see them through an overlay of the pending
 * values; a range scan first applies what is pending. Once half the journal is used and LevelDB has everything,
 * LevelDB's log files are fsync'd and the journal starts again (resetWhenDurable); close() does the same. On open,
 * the journal's batches are applied (durably) before anything else, so a crash at any point, OS crashes and power
 * cuts included, loses nothing that had resolved durably.
 */
import { Level } from 'level'
import { assertKey } from './keys.js'
import { checkOps, checkRange, type KV, type KVOp, type KVRange, type KVWriteOptions } from './kv.js'
import { StoreClosedError, HomeInUseError } from '../errors.js'
import { Journal, JOURNAL_BYTES, JOURNAL_FILE } from './journal.js'
import { join } from 'node:path'
import { open, readdir } from 'node:fs/promises'

/**
 * How long journaled batches wait before LevelDB gets them (ms): long enough that a burst's batches reach it as one
 * write, and that its fsync does not run beside the next message's journal write.
 */
export const APPLY_DELAY_MS = 20
/** Journal use past which, once LevelDB has everything, its logs are fsync'd and the journal starts again (bytes). */
const RESET_AFTER_BYTES = JOURNAL_BYTES / 2
/**
 * After a reset try that writes made meanwhile defeated: the next try waits for this much more journal (bytes), or
 * for the writes to pause RESET_IDLE_MS (ms), whichever comes first.
 */
const RESET_RETRY_BYTES = JOURNAL_BYTES / 16
const RESET_IDLE_MS = 100

/** abstract-level's private batch (see batch()). */
interface PrivateBatch {
  _batch: (ops: Array<{ type: 'put' | 'del', key: string, value?: Uint8Array, keyEncoding: string, valueEncoding?: string }>, options: { sync: boolean }) => Promise<void>
}

export interface LevelKVOptions {
  /** Default for every write (default true). */
  sync?: boolean
  /** LevelDB write buffer in bytes (tests lower it to force table files). */
  writeBufferSize?: number
  /** Write through the journal (default true; journal.ts). false: every batch straight to LevelDB. */
  journal?: boolean
  /** APPLY_DELAY_MS unless given. */
  applyDelayMs?: number
}

type PreparedOp = Parameters<PrivateBatch['_batch']>[0][number]
interface Pending { seq: number, value: Uint8Array | null }

export class LevelKV implements KV {
  /** The underlying database: for tests that must reach below the encryption (tamper tests). */
  readonly db: Level<string, Uint8Array>
  private readonly sync: boolean
  private closed = false
  private readonly journal: Journal | undefined
  /** with the journal: a deferred batch is fsync'd at the end of the event loop's turn (Journal 'deferred') */
  readonly defersSync: boolean
  private readonly applyDelayMs: number
  /** newest journaled value of each key LevelDB does not hold yet (null: deleted) */
  private readonly overlay = new Map<string, Pending>()
  /** journaled batches waiting for LevelDB, oldest first */
  private queue: Array<{ seq: number, ops: PreparedOp[] }> = []
  private seq = 0
  private applyTimer: ReturnType<typeof setTimeout> | undefined
  private applying: Promise<void> | undefined
  /** a journal or apply failure: writes are refused from then on (the journal still holds what resolved) */
  private failed: Error | undefined
  private resetting: Promise<void> | undefined
  /** journal use below which no new reset is tried (after one that writes defeated; 0: none) */
  private resetRetryAt = 0
  private resetTries = 0
  private idleResetTimer: ReturnType<typeof setTimeout> | undefined
  /** a write that found the journal full is draining it */
  private wrapping: Promise<void> | undefined
  private readonly dir: string

  private constructor (dir: string, db: Level<string, Uint8Array>, sync: boolean, journal: Journal | undefined, applyDelayMs: number) {
    this.dir = dir
    this.db = db
    this.sync = sync
    this.journal = journal
    this.defersSync = journal !== undefined
    this.applyDelayMs = applyDelayMs
  }

  static async open (path: string, opts: LevelKVOptions = {}): Promise<LevelKV> {
    const db = new Level<string, Uint8Array>(path, {
      keyEncoding: 'utf8',
      valueEncoding: 'view',
      ...(opts.writeBufferSize !== undefined ? { writeBufferSize: opts.writeBufferSize } : {})
    })
    try {
      await db.open()
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause
      if (cause?.code === 'LEVEL_LOCKED') throw new HomeInUseError(`database ${path} is open in another process or handle`)
      throw e
    }
    if (opts.journal === false) return new LevelKV(path, db, opts.sync ?? true, undefined, 0)
    let journal: Journal
    try {
      const opened = Journal.open(join(path, JOURNAL_FILE))
      journal = opened.journal
      // what resolved before a crash and may not be in LevelDB yet: applied (again, harmlessly) before any read
      const ops = opened.batches.flat().map(prepare)
      if (ops.length > 0) await asPrivate(db)._batch(ops, { sync: true })
      journal.reset()
    } catch (e) {
      await db.close()
      throw e
    }
    return new LevelKV(path, db, opts.sync ?? true, journal, opts.applyDelayMs ?? APPLY_DELAY_MS)
  }

  private check (): void { if (this.closed) throw new StoreClosedError() }

  async get (key: string): Promise<Uint8Array | undefined> {
    this.check(); assertKey(key)
    const p = this.overlay.get(key)
    if (p !== undefined) return p.value === null ? undefined : new Uint8Array(p.value)
    const v = await this.db.get(key)
    return v === undefined ? undefined : new Uint8Array(v)
  }

  /**
   * LevelDB's synchronous get: it blocks the event loop for the lookup, which for a node's store (small, its tables
   * in LevelDB's block cache and the OS page cache) is a few microseconds; the asynchronous get costs a thread-pool
   * round trip and an event-loop turn (measured here: 1.3 µs against 10 µs idle, and far more under load).
   */
  getSync (key: string): Uint8Array | undefined {
    this.check(); assertKey(key)
    const p = this.overlay.get(key)
    if (p !== undefined) return p.value === null ? undefined : new Uint8Array(p.value)
    const v = this.db.getSync(key)
    return v === undefined ? undefined : new Uint8Array(v)
  }

  async put (key: string, value: Uint8Array, opts?: KVWriteOptions): Promise<void> {
    await this.batch([{ type: 'put', key, value }], opts)
  }

  async del (key: string, opts?: KVWriteOptions): Promise<void> {
    await this.batch([{ type: 'del', key }], opts)
  }

  /**
   * Goes through abstract-level's private API for implementors (`_batch`, documented in its README), with the
   * operations already in the form it guarantees there: keys utf8 strings, values Uint8Array ('view'), each op
   * naming its encodings. The public batch() clones, validates and transcodes every operation and emits events
   * nobody listens to: measured here, 68-90 µs of the event loop for a message's 8-value batch against 13-17 µs.
   * checkOps has validated the same things already; the store is open (check()), and close() waits for writes.
   * With the journal: written there (durably unless sync: false) and visible to reads when this resolves; LevelDB
   * gets it later (applyLater).
   */
  async batch (ops: KVOp[], opts?: KVWriteOptions): Promise<void> {
    this.check(); checkOps(ops)
    if (ops.length === 0) return
    // copy values unless handed over: the caller may reuse its buffers once we return
    const copied: KVOp[] = opts?.handOver === true ? ops : ops.map(op => op.type === 'put' ? { type: 'put', key: op.key, value: new Uint8Array(op.value) } : op)
    const prepared = copied.map(prepare)
    const sync = opts?.sync ?? this.sync
    const journal = this.journal
    const written = opts?.onWritten === undefined ? undefined : (): void => { try { opts.onWritten?.() } catch {} }
    const synced = (err?: Error): void => {
      if (err !== undefined) this.failed ??= err // the record may not be on the disk: nothing more goes after it
      try { opts?.onSynced?.(err) } catch {}
    }
    if (journal === undefined) { await asPrivate(this.db)._batch(prepared, { sync }); written?.(); if (sync) synced(); return }
    if (this.failed !== undefined) throw this.failed
    // the preallocated space is used up: let LevelDB take what is pending, then start the journal again; batches
    // arriving meanwhile wait for that too, so they are journaled in the order they came
    while (this.wrapping !== undefined) await this.wrapping
    if (journal.wouldWrap(ops)) {
      this.wrapping = (async () => { await this.drain(); await this.resetWhenDurable() })().finally(() => { this.wrapping = undefined })
      await this.wrapping
    }
    this.check()
    if (this.failed !== undefined) throw this.failed
    const deferred = sync && opts?.deferSync === true
    try {
      journal.append(copied, deferred ? 'deferred' : sync, written, synced)
      if (sync && !deferred) synced()
    } catch (e) {
      this.failed = e as Error // the record may be half written: nothing more goes after it
      throw e
    }
    const seq = ++this.seq
    for (const op of prepared) this.overlay.set(op.key, { seq, value: op.value ?? null })
    this.queue.push({ seq, ops: prepared })
    this.applyLater()
  }

  private applyLater (): void {
    if (this.applyTimer !== undefined || this.applying !== undefined) return
    this.applyTimer = setTimeout(() => { this.applyTimer = undefined; void this.apply() }, this.applyDelayMs)
  }

  /**
   * Writes every journaled batch to LevelDB (one write without fsync per round) and drops them from the overlay;
   * past RESET_AFTER_BYTES of journal, then starts resetWhenDurable. One run at a time.
   */
  private async apply (): Promise<void> {
    if (this.applying !== undefined) { await this.applying; return }
    this.applying = (async () => {
      while (this.queue.length > 0 && this.failed === undefined) {
        const round = this.queue
        this.queue = []
        const upTo = round[round.length - 1].seq
        try {
          // LevelDB may make these durable before the journal's copy is (its log pages reach the disk on their own):
          // the journal must hold them first, or replaying it after a power cut could undo part of them
          await this.journal?.sync()
          await asPrivate(this.db)._batch(lastPerKey(round), { sync: false })
        } catch (e) {
          this.failed = e as Error // kept in the journal and the overlay: the next open applies them
          this.queue = [...round, ...this.queue]
          return
        }
        for (const r of round) {
          for (const op of r.ops) if ((this.overlay.get(op.key)?.seq ?? Infinity) <= upTo) this.overlay.delete(op.key)
        }
      }
    })().finally(() => {
      this.applying = undefined
      // a batch written while this run was finishing found it still running and set no timer
      if (this.queue.length > 0 && this.failed === undefined) this.applyLater()
      else if ((this.journal?.used ?? 0) > Math.max(RESET_AFTER_BYTES, this.resetRetryAt)) void this.resetWhenDurable()
    })
    await this.applying
  }

  /**
   * LevelDB got the journal's batches without fsync (one fsync per message is what the journal saves). Before the
   * journal may start again they must be durable in LevelDB: fsync its log files (the current one and any older one
   * whose memtable is not flushed yet; a flushed one LevelDB has deleted after syncing its table) and the directory.
   * In the background, once half the journal is used; a write that finds the journal full does it itself.
   */
  private async resetWhenDurable (): Promise<void> {
    if (this.resetting !== undefined) return await this.resetting
    const seqAt = this.seq
    this.resetTries++
    this.resetting = (async () => {
      try {
        await syncLogs(this.dir)
      } catch (e) {
        this.failed ??= e as Error
        return
      }
      // reset only if nothing was written meanwhile (that would be in the journal only); if something was, the next
      // try waits for another RESET_RETRY_BYTES of journal or RESET_IDLE_MS without writes (or the wrap): under
      // steady writes a try after every apply would fsync LevelDB's log and directory every APPLY_DELAY_MS and
      // still not reset
      if (this.seq === seqAt && this.queue.length === 0 && this.applying === undefined && !this.closed) {
        this.journal?.reset()
        this.resetRetryAt = 0
      } else if (!this.closed) {
        this.resetRetryAt = (this.journal?.used ?? 0) + RESET_RETRY_BYTES
        this.resetWhenIdle()
      }
    })().finally(() => { this.resetting = undefined })
    await this.resetting
  }

  /** Tries the reset again once no write came for RESET_IDLE_MS (checked every RESET_IDLE_MS meanwhile). */
  private resetWhenIdle (): void {
    if (this.idleResetTimer !== undefined) return
    const seqAt = this.seq
    this.idleResetTimer = setTimeout(() => {
      this.idleResetTimer = undefined
      if (this.closed || this.failed !== undefined || (this.journal?.used ?? 0) <= RESET_AFTER_BYTES) return
      if (this.seq !== seqAt || this.queue.length > 0 || this.applying !== undefined) { this.resetWhenIdle(); return }
      void this.resetWhenDurable()
    }, RESET_IDLE_MS)
    this.idleResetTimer.unref?.()
  }

  /** Applies everything journaled so far now (range scans, close, a full journal). */
  private async drain (): Promise<void> {
    if (this.applyTimer !== undefined) { clearTimeout(this.applyTimer); this.applyTimer = undefined }
    while (this.applying !== undefined || (this.queue.length > 0 && this.failed === undefined)) await this.apply()
  }

  /** Journal bytes in use and resets tried so far (each fsyncs LevelDB's logs): for tests. */
  get journalStats (): { used: number, resetTries: number } {
    return { used: this.journal?.used ?? 0, resetTries: this.resetTries }
  }

  /** Waits until LevelDB holds every batch written so far (tests that reach below the KV use it). */
  async settle (): Promise<void> { this.check(); await this.drain() }

  async * iterate (range: KVRange = {}): AsyncIterableIterator<[string, Uint8Array]> {
    this.check(); checkRange(range)
    await this.drain() // LevelDB's iterator then sees every batch that resolved
    if (this.failed !== undefined) throw this.failed // it would not: LevelDB refused some of them
    const o: { gt?: string, gte?: string, lt?: string, lte?: string, reverse?: boolean, limit?: number } = {}
    if (range.gt !== undefined) o.gt = range.gt
    if (range.gte !== undefined) o.gte = range.gte
    if (range.lt !== undefined) o.lt = range.lt
    if (range.lte !== undefined) o.lte = range.lte
    if (range.reverse === true) o.reverse = true
    if (range.limit !== undefined && range.limit !== Infinity) o.limit = range.limit
    if (o.limit === 0) return
    for await (const [k, v] of this.db.iterator(o)) {
      yield [k, new Uint8Array(v)]
    }
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true // from here every write is refused: nothing can be journaled after the journal is closed
    if (this.idleResetTimer !== undefined) { clearTimeout(this.idleResetTimer); this.idleResetTimer = undefined }
    if (this.wrapping !== undefined) await this.wrapping.catch(() => {})
    await this.drain()
    if (this.resetting !== undefined) await this.resetting.catch(() => {})
    if (this.journal !== undefined) {
      // the journal's records are in LevelDB now; made durable there, the journal can be emptied (otherwise they
      // stay for the next open to apply)
      let durable = this.failed === undefined
      if (durable) { try { await syncLogs(this.dir) } catch { durable = false } }
      if (durable) this.journal.close(); else this.journal.release()
    }
    await this.db.close()
  }
}

function asPrivate (db: Level<string, Uint8Array>): PrivateBatch { return db as unknown as PrivateBatch }

/** An op in the form abstract-level's private API takes. */
function prepare (op: KVOp): PreparedOp {
  return op.type === 'put'
    ? { type: 'put', key: op.key, value: op.value, keyEncoding: 'utf8', valueEncoding: 'view' }
    : { type: 'del', key: op.key, keyEncoding: 'utf8' }
}

/** fsyncs every LevelDB log file in `dir` (a vanished one was flushed to a synced table) and the directory itself. */
async function syncLogs (dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.log')) continue
    let fh
    try { fh = await open(join(dir, name), 'r') } catch (e) { if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; throw e }
    try { await fh.sync() } finally { await fh.close() }
  }
  const d = await open(dir, 'r')
  try { await d.sync() } finally { await d.close() }
}

/**
 * The round's operations with only the last one of each key: a LevelDB batch is atomic, so it leaves the same state,
 * and a contact, a session and the event cursor are written with every message (7-8 values a message; a round of
 * 20 ms holds several messages). Each operation costs classic-level's _batch JS on the event loop, then LevelDB's
 * memtable and log on the thread pool.
 */
function lastPerKey (round: Array<{ ops: PreparedOp[] }>): PreparedOp[] {
  if (round.length === 1) return round[0].ops
  const last = new Map<string, PreparedOp>()
  for (const r of round) for (const op of r.ops) { last.delete(op.key); last.set(op.key, op) }
  return [...last.values()]
}

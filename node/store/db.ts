/**
 * The encrypted store: a KV (LevelDB or in-memory) whose every VALUE is sealed (XChaCha20-Poly1305) under a key
 * derived from the 32-byte database key (schema.ts), bound to its key by the AD. Keys stay in clear (keys.ts says
 * what they may hold). Owns encryption, the write queue, batches, the read cache and the event log's cursor; knows nothing of
 * contacts, sessions or messages. All writes go through one queue, so batches (and the event cursors they allocate)
 * commit in order. Group commit: the batches that queued up while a write was in progress are committed together
 * in ONE KV batch (one fsync instead of one each); each keeps its own atomicity, cursors and result, because a KV batch
 * is all or nothing and applies its operations in order.
 *
 * Opening checks meta/check: an encrypted record of the schema version written when the store was created; a
 * database key that does not open it is a CorruptStoreError (the keystore and the database do not belong together).
 */
import { systemRng, utf8, fromUtf8, wipe, type Rng } from '../../protocol/crypto/index.js'
import { InvalidArgumentError } from '../../protocol/errors.js'
import { CorruptStoreError, StoreClosedError } from '../errors.js'
import { assertKey, eventKey, metaKey, parseEventKey, prefixRange, PREFIX, MAX_U64_SAFE } from './keys.js'
import { MemoryKV, type KV, type KVOp, type KVRange, type KVWriteOptions } from './kv.js'
import { LevelKV, type LevelKVOptions } from './level-kv.js'
import {
  sealValue, openValue, deriveValueKey, deriveBlindKey, blindId, MAX_VALUE_BYTES, STORE_SCHEMA_VERSION
} from './schema.js'
import { EventLog, type TernEvent } from './events.js'
import { ValueCache } from './cache.js'

export interface StoreOptions {
  /** Clock for event timestamps (default Date.now). */
  now?: () => number
  /** Randomness for nonces (default systemRng). */
  rng?: Rng
  /**
   * Bytes of decrypted values kept in memory (cache.ts), 0 to read every value from the KV (the default: a test that
   * alters the KV below the store must see it). The daemon uses STORE_CACHE_BYTES.
   */
  cacheBytes?: number
}

/** The daemon's read cache (bytes): far more than the records of a busy day's conversations, small next to the heap. */
export const STORE_CACHE_BYTES = 2 * 1024 * 1024
/** Most batches committed together in one KV write (group commit). */
export const MAX_GROUP_WRITES = 64

export interface StoreEntry<T> { key: string, value: T }

export interface WriteResult {
  /** Cursors of the events appended by this write, in order. */
  cursors: number[]
  /**
   * Settles once the write is as durable as it asked to be: at once, except for a `deferSync` write, where it
   * resolves after the fsync that follows (and rejects if that fails).
   */
  durable: Promise<void>
}

/**
 * How durable one write must be before it resolves (the KV's default applies when omitted; LevelKV: sync).
 *  - sync: true  — fsync'd: survives a process kill AND an OS crash / power loss.
 *  - sync: false — handed to the kernel (write(2)) before it resolves: survives kill -9 of this process, but an OS
 *    crash or power loss may lose the last such writes. Writes commit in queue order into one log, so a later sync
 *    write makes every earlier write durable too. Use it only where losing the write after the fact is harmless
 *    (a retry or a re-derivation repairs it); never for key material or anything acknowledged to a peer.
 */
export interface WriteOptions {
  sync?: boolean
  /**
   * With sync (implied): the write resolves once handed to the kernel (it survives a kill of the process then) and
   * is fsync'd at the end of the event loop's turn, before any later durable write (KVWriteOptions.deferSync);
   * WriteResult.durable says when. For a send that must not leave before its state survives a kill, whose caller
   * is answered only once it survives power loss (the messenger's send(), docs/node.md Durability).
   */
  deferSync?: boolean
}

/** A set of writes committed atomically (one LevelDB batch), optionally with event appends. Write it once. */
export interface StoreBatch {
  put: (key: string, value: Uint8Array) => StoreBatch
  /**
   * `memo`: the value's decoded form for getMemo(), remembered with it once written (so a record written on every
   * message, a session, is never decoded again by its next reader). Same rule: nobody may change it.
   */
  putJson: (key: string, value: unknown, memo?: unknown) => StoreBatch
  del: (key: string) => StoreBatch
  /** Appends an event in the same atomic write; its cursor is in write()'s result. */
  appendEvent: (type: string, data?: unknown) => StoreBatch
  readonly length: number
  write: (opts?: WriteOptions) => Promise<WriteResult>
}

export const META_CHECK = 'check'
export const META_EVENT_CURSOR = 'event-cursor'
const CHECK_MAGIC = 'tern-store'

/** An event of a batch; `json` is `data` stringified (once, by appendEvent). */
interface PendingEvent { type: string, data: unknown, json: string }

/** A batch waiting in the write queue. `plain[i]` is what ops[i] leaves readable (null: deleted; undefined: not cached). */
interface QueuedWrite {
  ops: KVOp[]
  plain: Array<Uint8Array | null | undefined>
  /** decoded forms by op index (putJson's memo) */
  memos: Map<number, unknown> | undefined
  events: PendingEvent[]
  opts: WriteOptions | undefined
  resolve: (r: WriteResult) => void
  reject: (err: unknown) => void
}

/** A queued batch ready for the KV: its event records added, its cursors allocated. */
interface PreparedWrite { w: QueuedWrite, ops: KVOp[], records: TernEvent[], cursors: number[], notified: boolean }

/** The KV write option of a batch: the KV's default unless the caller chose. */
const kvOpts = (o: WriteOptions | undefined): KVWriteOptions | undefined =>
  deferring(o) ? { sync: true, deferSync: true } : o?.sync === undefined ? undefined : { sync: o.sync }

function deferring (o: WriteOptions | undefined): boolean { return o?.deferSync === true }

/**
 * The write option of a group: durable if any member asked for durability (explicitly or by default), before it
 * resolves unless every durable member deferred its fsync; lazy only if every member is lazy. A lazy batch committed
 * durably loses nothing, nor does a deferred one made durable at once.
 */
function groupOpts (ws: PreparedWrite[]): KVWriteOptions | undefined {
  if (ws.every(p => p.w.opts?.sync === false && !deferring(p.w.opts))) return { sync: false }
  if (ws.some(p => deferring(p.w.opts)) && ws.every(p => deferring(p.w.opts) || p.w.opts?.sync === false)) return { sync: true, deferSync: true }
  if (ws.some(p => p.w.opts?.sync === true || deferring(p.w.opts))) return { sync: true }
  return undefined
}

const DURABLE: Promise<void> = Promise.resolve()

export class Store {
  readonly events: EventLog
  /** The KV below the encryption (tests reach through it to tamper). */
  readonly kv: KV
  private readonly valueKey: Uint8Array
  private readonly blindKey: Uint8Array
  private readonly rng: Rng
  private readonly now: () => number
  private readonly cache: ValueCache | undefined
  private readonly pending: QueuedWrite[] = []
  /** The running write loop, while batches are queued or being written. */
  private writer: Promise<void> | undefined

  /**
   * Bumped when a KV write is issued and when it ends: a read that saw it change (or started while a write was in
   * flight) may have read a value that is already stale, and is not cached. The write itself updates the cache.
   */
  private writeGen = 0
  /** the durability of the latest deferred write (durableSoFar) */
  private lastDeferred: Promise<void> = DURABLE
  private writing = false
  private cursor = 0
  private closed = false

  private constructor (kv: KV, dbKey: Uint8Array, opts: StoreOptions) {
    if (!(dbKey instanceof Uint8Array) || dbKey.length !== 32) throw new InvalidArgumentError('dbKey: expected 32 bytes')
    this.kv = kv
    this.valueKey = deriveValueKey(dbKey)
    this.blindKey = deriveBlindKey(dbKey)
    this.rng = opts.rng ?? systemRng
    this.now = opts.now ?? Date.now
    this.cache = (opts.cacheBytes ?? 0) > 0 ? new ValueCache(opts.cacheBytes as number) : undefined
    this.events = new EventLog(this)
  }

  /** Wraps an open KV; checks (or, on an empty KV, writes) meta/check and loads the event cursor. */
  static async create (kv: KV, dbKey: Uint8Array, opts: StoreOptions = {}): Promise<Store> {
    const s = new Store(kv, dbKey, opts)
    try {
      await s.init()
    } catch (e) {
      await s.close()
      throw e
    }
    return s
  }

  private async init (): Promise<void> {
    const checkKey = metaKey(META_CHECK)
    const check = await this.kv.get(checkKey)
    if (check === undefined) {
      for await (const [k] of this.kv.iterate({ limit: 1 })) {
        throw new CorruptStoreError(`store has data (${k}) but no ${checkKey}`, checkKey)
      }
      await this.putJson(checkKey, { magic: CHECK_MAGIC, version: STORE_SCHEMA_VERSION })
    } else {
      let v: { magic?: unknown, version?: unknown }
      try {
        v = this.decodeJson(checkKey, openValue(this.valueKey, checkKey, check)) as typeof v
      } catch {
        throw new CorruptStoreError('the database key does not match this store', checkKey)
      }
      if (v.magic !== CHECK_MAGIC || v.version !== STORE_SCHEMA_VERSION) {
        throw new CorruptStoreError(`unsupported store schema ${String(v.version)}`, checkKey)
      }
    }
    const saved = await this.getJson<number>(metaKey(META_EVENT_CURSOR))
    let last = 0
    for await (const [k] of this.kv.iterate({ ...prefixRange(PREFIX.event), reverse: true, limit: 1 })) last = parseEventKey(k)
    this.cursor = Math.max(last, typeof saved === 'number' ? saved : 0)
  }

  private check (): void { if (this.closed) throw new StoreClosedError() }

  private seal (key: string, plaintext: Uint8Array): Uint8Array {
    assertKey(key)
    if (!(plaintext instanceof Uint8Array)) throw new InvalidArgumentError(`value of ${key}: expected Uint8Array`)
    if (plaintext.length > MAX_VALUE_BYTES) throw new InvalidArgumentError(`value of ${key}: over ${MAX_VALUE_BYTES} bytes`)
    return sealValue(this.valueKey, key, plaintext, this.rng)
  }

  private decodeJson (key: string, plain: Uint8Array): unknown {
    try {
      return JSON.parse(fromUtf8(plain))
    } catch {
      throw new CorruptStoreError(`store value of ${key}: not JSON`, key)
    } finally {
      wipe(plain)
    }
  }

  private encodeJson (key: string, value: unknown): Uint8Array {
    const text = JSON.stringify(value)
    if (text === undefined) throw new InvalidArgumentError(`value of ${key}: not JSON-serialisable`)
    return utf8(text)
  }

  // ---- reads

  /**
   * get(), synchronously where it can be (a cached value, or a KV with getSync): the value, undefined if absent, or
   * null when only the asynchronous get() can answer. For a hot path that should not yield to other queued work
   * between its reads (an await does, even on a value at hand).
   */
  getNow (key: string): Uint8Array | undefined | null {
    this.check(); assertKey(key)
    const cache = this.cache
    const hit = cache?.get(key)
    if (hit !== undefined) return hit ?? undefined
    if (this.kv.getSync === undefined) return null
    const sealed = this.kv.getSync(key)
    const plain = sealed === undefined ? undefined : openValue(this.valueKey, key, sealed)
    if (cache !== undefined && !this.closed) cache.set(key, plain ?? null) // synchronous: current (see get())
    return plain
  }

  /** The decrypted value, or undefined if absent. CorruptStoreError (naming the key) if it fails to authenticate. */
  async get (key: string): Promise<Uint8Array | undefined> {
    const now = this.getNow(key)
    if (now !== null) return now
    const cache = this.cache
    const gen = this.writeGen
    const quiet = !this.writing
    const sealed = await this.kv.get(key)
    const plain = sealed === undefined ? undefined : openValue(this.valueKey, key, sealed)
    // A synchronous read (getNow) cannot interleave with a commit's cache update: what it read is current, or (a
    // write in flight) is replaced by the commit's own update. An asynchronous one is cached only if no write
    // overlapped it.
    if (cache !== undefined && quiet && gen === this.writeGen && !this.closed) cache.set(key, plain ?? null)
    return plain
  }

  async getJson<T = unknown> (key: string): Promise<T | undefined> {
    const plain = await this.get(key)
    return plain === undefined ? undefined : this.decodeJson(key, plain) as T
  }

  /**
   * getJson, then `decode`, remembered with the cached value until the key is written again: for a record that is
   * costly to rebuild and read on every message (a ratchet session). `decode` must return a value no caller changes
   * (the same object is handed to every caller). Without a cache it decodes every time.
   */
  async getMemo<T> (key: string, decode: (json: unknown) => T): Promise<T | undefined> {
    const cache = this.cache
    let e = cache?.entry(key)
    if (cache !== undefined && e === undefined) { await this.get(key); e = cache.entry(key) } // get() fills the cache
    if (e === undefined) {
      const json = await this.getJson(key) // not cacheable now (no cache, or a write overlapped the read)
      return json === undefined ? undefined : decode(json)
    }
    if (e.value === null) return undefined
    if (e.decoded !== undefined) return e.decoded as T
    // synchronous from here: the entry cannot be replaced before its decoded form is attached to it
    const value = decode(this.decodeJson(key, e.value.slice()))
    e.decoded = value
    return value
  }

  /** Ordered range scan (gt/gte/lt/lte/reverse/limit), values decrypted. */
  async * iterate (range: KVRange = {}): AsyncIterableIterator<StoreEntry<Uint8Array>> {
    this.check()
    for await (const [key, sealed] of this.kv.iterate(range)) {
      yield { key, value: openValue(this.valueKey, key, sealed) }
    }
  }

  async * iterateJson<T = unknown> (range: KVRange = {}): AsyncIterableIterator<StoreEntry<T>> {
    for await (const { key, value } of this.iterate(range)) yield { key, value: this.decodeJson(key, value) as T }
  }

  /** Every entry of a range, as an array. */
  async list (range: KVRange = {}): Promise<Array<StoreEntry<Uint8Array>>> {
    const out: Array<StoreEntry<Uint8Array>> = []
    for await (const e of this.iterate(range)) out.push(e)
    return out
  }

  async listJson<T = unknown> (range: KVRange = {}): Promise<Array<StoreEntry<T>>> {
    const out: Array<StoreEntry<T>> = []
    for await (const e of this.iterateJson<T>(range)) out.push(e)
    return out
  }

  // ---- writes

  async put (key: string, value: Uint8Array): Promise<void> { await this.batch().put(key, value).write() }
  async putJson (key: string, value: unknown): Promise<void> { await this.batch().putJson(key, value).write() }
  async del (key: string): Promise<void> { await this.batch().del(key).write() }

  batch (): StoreBatch {
    this.check()
    const ops: KVOp[] = []
    const plain: Array<Uint8Array | null | undefined> = []
    let memos: Map<number, unknown> | undefined
    const events: PendingEvent[] = []
    const caching = this.cache !== undefined
    let written = false
    const b: StoreBatch = {
      put: (key, value) => {
        ops.push({ type: 'put', key, value: this.seal(key, value) })
        plain.push(caching ? value.slice() : undefined)
        return b
      },
      putJson: (key, value, memo) => {
        const text = this.encodeJson(key, value) // a fresh buffer: the cache may keep it as it is
        let kept = false
        try {
          ops.push({ type: 'put', key, value: this.seal(key, text) })
          plain.push(caching ? text : undefined)
          kept = caching
        } finally { if (!kept) wipe(text) }
        if (caching && memo !== undefined) (memos ??= new Map()).set(ops.length - 1, memo)
        return b
      },
      del: (key) => { ops.push({ type: 'del', key: assertKey(key) }); plain.push(null); return b },
      appendEvent: (type, data) => {
        if (typeof type !== 'string' || type === '') throw new InvalidArgumentError('event type: expected a non-empty string')
        const json = JSON.stringify(data ?? null) // once: checked here, stored as it is by prepare()
        if (json === undefined) throw new InvalidArgumentError('event data: not JSON-serialisable')
        events.push({ type, data: data ?? null, json })
        return b
      },
      get length () { return ops.length + events.length },
      write: async (opts) => {
        if (written) throw new InvalidArgumentError('batch already written')
        written = true
        return await new Promise<WriteResult>((resolve, reject) => {
          this.pending.push({ ops, plain, memos, events, opts, resolve, reject })
          this.startWriter()
        })
      }
    }
    return b
  }

  /** Runs the write loop unless it runs already: each turn commits every batch queued so far (up to a bound). */
  private startWriter (): void {
    if (this.writer !== undefined) return
    this.writer = (async () => {
      while (this.pending.length > 0) await this.commitGroup(this.pending.splice(0, MAX_GROUP_WRITES))
    })().finally(() => {
      this.writer = undefined
      if (this.pending.length > 0) this.startWriter()
    })
  }

  /** Allocates the batch's cursors and seals its events (in queue order, so cursors follow commit order). */
  private prepare (w: QueuedWrite): PreparedWrite {
    this.check()
    const ops = [...w.ops]
    const cursors: number[] = []
    const records: TernEvent[] = []
    if (w.events.length > 0) {
      if (this.cursor + w.events.length > MAX_U64_SAFE) throw new InvalidArgumentError('event cursor space exhausted')
      const at = this.now()
      for (const e of w.events) {
        const cursor = ++this.cursor // advanced even if the write fails: a cursor is never reused
        const key = eventKey(cursor)
        // JSON.stringify of the StoredEvent { t, at, d } (events.ts), with d as appendEvent() stringified it
        const plain = utf8(`{"t":${JSON.stringify(e.type)},"at":${JSON.stringify(at)},"d":${e.json}}`)
        ops.push({ type: 'put', key, value: this.seal(key, plain) })
        wipe(plain)
        cursors.push(cursor)
        records.push({ cursor, type: e.type, at, data: e.data })
      }
      const ck = metaKey(META_EVENT_CURSOR)
      ops.push({ type: 'put', key: ck, value: this.seal(ck, utf8(String(this.cursor))) })
    }
    return { w, ops, records, cursors, notified: false }
  }

  /**
   * Writes a group of queued batches as ONE KV batch, then, in order, updates the cache and resolves each. The event
   * listeners hear of the group's events as soon as the KV has handed the batch to the OS, before its fsync
   * (KVWriteOptions.onWritten): a local client's wake-up then overlaps the fsync instead of following it. Those
   * events survive a kill of the daemon from that point on; only a power loss or OS crash within the fsync can lose
   * them (docs/API.md, Events and cursors, says what a client sees then). If the group fails and has more than one member,
   * each is retried alone, so one batch's failure is its own (as without grouping); no event is told twice.
   */
  private async commitGroup (group: QueuedWrite[]): Promise<void> {
    const ready: PreparedWrite[] = []
    for (const w of group) {
      try { ready.push(this.prepare(w)) } catch (err) { this.release(w); w.reject(err) }
    }
    if (ready.length === 0) return
    let durable: Promise<void>
    try {
      durable = (await this.kvWrite(ready.flatMap(p => p.ops), groupOpts(ready), ready)).durable
    } catch (err) {
      if (ready.length === 1) { this.release(ready[0].w); ready[0].w.reject(err); return }
      for (const p of ready) {
        try {
          this.settle(p, (await this.kvWrite(p.ops, kvOpts(p.w.opts), [p])).durable)
        } catch (e) { this.release(p.w); p.w.reject(e) }
      }
      return
    }
    for (const p of ready) this.settle(p, durable)
  }

  /** Tells the event listeners of `ps`' events, once each. */
  private notifyOnce (ps: PreparedWrite[]): void {
    for (const p of ps) {
      if (p.notified) continue
      p.notified = true
      if (p.records.length > 0) this.events.notify(p.records)
    }
  }

  /** Writes `ops` as one KV batch; resolves, once the KV batch has, with its `durable` (WriteResult). */
  private async kvWrite (ops: KVOp[], opts: KVWriteOptions | undefined, members: PreparedWrite[]): Promise<{ durable: Promise<void> }> {
    if (ops.length === 0) return { durable: DURABLE }
    this.writeGen++
    this.writing = true
    const onWritten = (): void => { this.notifyOnce(members) }
    let durable = DURABLE
    let onSynced: ((err?: Error) => void) | undefined
    if (opts?.deferSync === true && this.kv.defersSync === true) {
      durable = new Promise<void>((resolve, reject) => { onSynced = (err) => { if (err === undefined) resolve(); else reject(err) } })
      durable.catch(() => {}) // a caller that does not wait for it must not make it an unhandled rejection
      this.lastDeferred = durable // before the batch is readable: whoever reads it can wait for its fsync
    }
    try {
      // handOver: the sealed values are fresh buffers this store never touches again
      await this.kv.batch(ops, { ...opts, onWritten, handOver: true, ...(onSynced !== undefined ? { onSynced } : {}) })
    } finally {
      this.writing = false
      this.writeGen++
    }
    return { durable }
  }

  /** After a batch is committed: the cache learns its values, listeners its events, the caller its cursors. */
  private settle (p: PreparedWrite, durable: Promise<void>): void {
    const { w } = p
    if (this.cache !== undefined) {
      for (let i = 0; i < w.ops.length; i++) {
        const v = w.plain[i]
        if (v === undefined) continue
        const key = w.ops[i].key
        this.cache.adopt(key, v) // the batch's own copy: the cache owns it now
        w.plain[i] = undefined
        const memo = w.memos?.get(i)
        const e = memo === undefined ? undefined : this.cache.entry(key)
        if (e !== undefined) e.decoded = memo
      }
    }
    this.release(w)
    this.notifyOnce([p]) // a KV that did not call onWritten
    w.resolve({ cursors: p.cursors, durable })
  }

  /** Wipes a batch's plaintext copies. */
  private release (w: QueuedWrite): void {
    for (const v of w.plain) if (v != null) wipe(v)
  }

  /**
   * Settles once every write readable now is as durable as it asked to be: the latest deferred write's fsync (one
   * waits at most: KVWriteOptions.deferSync). For a reader that answers about a write it did not make itself.
   */
  async durableSoFar (): Promise<void> { await this.lastDeferred }

  /** Last event cursor allocated (EventLog.tail). */
  lastEventCursor (): number { return this.cursor }

  /** A blinded id for an index key (schema.ts): e.g. peerIndexKey(store.blind('peer', peerId)). */
  blind (label: string, value: string | Uint8Array): string {
    this.check()
    return blindId(this.blindKey, label, value)
  }

  /** Waits for queued writes, closes the KV and wipes the derived keys. Idempotent. */
  async close (): Promise<void> {
    if (this.closed) return
    while (this.writer !== undefined) await this.writer
    this.closed = true
    this.cache?.clear()
    wipe(this.valueKey, this.blindKey)
    await this.kv.close()
  }
}

export interface OpenStoreOptions extends StoreOptions, LevelKVOptions {}

/** Opens (creating if needed) the encrypted LevelDB store at `path` (usually homePaths(home).db). */
export async function openStore (path: string, dbKey: Uint8Array, opts: OpenStoreOptions = {}): Promise<Store> {
  const kv = await LevelKV.open(path, opts)
  return await Store.create(kv, dbKey, opts)
}

/** An encrypted store over a fresh in-memory KV (tests; other engineers' unit tests). */
export async function openMemoryStore (dbKey: Uint8Array, opts: StoreOptions = {}): Promise<Store> {
  return await Store.create(new MemoryKV(), dbKey, opts)
}

/**
 * The encrypted store: a KV (LevelDB or in-memory) whose every VALUE is AES-256-GCM sealed under a key derived from
 * the 32-byte database key (schema.ts), bound to its key by the AD. Keys stay in clear (keys.ts says what they may
 * hold). Owns encryption, the write queue, batches and the event log's cursor; knows nothing of contacts, sessions or
 * messages. All writes go through one queue, so batches (and the event cursors they allocate) commit in order.
 *
 * Opening checks meta/check: an encrypted record of the schema version written when the store was created; a
 * database key that does not open it is a CorruptStoreError (the keystore and the database do not belong together).
 */
import { systemRng, utf8, fromUtf8, wipe, type Rng } from '../../protocol/crypto/index.js'
import { InvalidArgumentError } from '../../protocol/errors.js'
import { CorruptStoreError, StoreClosedError } from '../errors.js'
import { assertKey, eventKey, metaKey, parseEventKey, prefixRange, PREFIX, MAX_U64_SAFE } from './keys.js'
import { MemoryKV, type KV, type KVOp, type KVRange } from './kv.js'
import { LevelKV, type LevelKVOptions } from './level-kv.js'
import {
  sealValue, openValue, deriveValueKey, deriveBlindKey, blindId, MAX_VALUE_BYTES, STORE_SCHEMA_VERSION
} from './schema.js'
import { EventLog, type StoredEvent, type TernEvent } from './events.js'

export interface StoreOptions {
  /** Clock for event timestamps (default Date.now). */
  now?: () => number
  /** Randomness for nonces (default systemRng). */
  rng?: Rng
}

export interface StoreEntry<T> { key: string, value: T }

export interface WriteResult {
  /** Cursors of the events appended by this write, in order. */
  cursors: number[]
}

/**
 * How durable one write must be before it resolves (the KV's default applies when omitted; LevelKV: sync).
 *  - sync: true  — fsync'd: survives a process kill AND an OS crash / power loss.
 *  - sync: false — handed to the kernel (write(2)) before it resolves: survives kill -9 of this process, but an OS
 *    crash or power loss may lose the last such writes. Writes commit in queue order into one log, so a later sync
 *    write makes every earlier write durable too. Use it only where losing the write after the fact is harmless
 *    (a retry or a re-derivation repairs it); never for key material or anything acknowledged to a peer.
 */
export interface WriteOptions { sync?: boolean }

/** A set of writes committed atomically (one LevelDB batch), optionally with event appends. Write it once. */
export interface StoreBatch {
  put: (key: string, value: Uint8Array) => StoreBatch
  putJson: (key: string, value: unknown) => StoreBatch
  del: (key: string) => StoreBatch
  /** Appends an event in the same atomic write; its cursor is in write()'s result. */
  appendEvent: (type: string, data?: unknown) => StoreBatch
  readonly length: number
  write: (opts?: WriteOptions) => Promise<WriteResult>
}

export const META_CHECK = 'check'
export const META_EVENT_CURSOR = 'event-cursor'
const CHECK_MAGIC = 'tern-store'

interface PendingEvent { type: string, data: unknown }

export class Store {
  readonly events: EventLog
  /** The KV below the encryption (tests reach through it to tamper). */
  readonly kv: KV
  private readonly valueKey: Uint8Array
  private readonly blindKey: Uint8Array
  private readonly rng: Rng
  private readonly now: () => number
  private queue: Promise<unknown> = Promise.resolve()
  private cursor = 0
  private closed = false

  private constructor (kv: KV, dbKey: Uint8Array, opts: StoreOptions) {
    if (!(dbKey instanceof Uint8Array) || dbKey.length !== 32) throw new InvalidArgumentError('dbKey: expected 32 bytes')
    this.kv = kv
    this.valueKey = deriveValueKey(dbKey)
    this.blindKey = deriveBlindKey(dbKey)
    this.rng = opts.rng ?? systemRng
    this.now = opts.now ?? Date.now
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

  /** Runs `fn` after every earlier write (serialised), even if an earlier one failed. */
  private enqueue<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => {})
    return run
  }

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

  /** The decrypted value, or undefined if absent. CorruptStoreError (naming the key) if it fails to authenticate. */
  async get (key: string): Promise<Uint8Array | undefined> {
    this.check(); assertKey(key)
    const sealed = await this.kv.get(key)
    return sealed === undefined ? undefined : openValue(this.valueKey, key, sealed)
  }

  async getJson<T = unknown> (key: string): Promise<T | undefined> {
    const plain = await this.get(key)
    return plain === undefined ? undefined : this.decodeJson(key, plain) as T
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
    const events: PendingEvent[] = []
    let written = false
    const b: StoreBatch = {
      put: (key, value) => { ops.push({ type: 'put', key, value: this.seal(key, value) }); return b },
      putJson: (key, value) => {
        const plain = this.encodeJson(key, value)
        try { ops.push({ type: 'put', key, value: this.seal(key, plain) }) } finally { wipe(plain) }
        return b
      },
      del: (key) => { ops.push({ type: 'del', key: assertKey(key) }); return b },
      appendEvent: (type, data) => {
        if (typeof type !== 'string' || type === '') throw new InvalidArgumentError('event type: expected a non-empty string')
        if (data !== undefined && JSON.stringify(data) === undefined) throw new InvalidArgumentError('event data: not JSON-serialisable')
        events.push({ type, data: data ?? null })
        return b
      },
      get length () { return ops.length + events.length },
      write: async (opts) => {
        if (written) throw new InvalidArgumentError('batch already written')
        written = true
        return await this.enqueue(async () => await this.commit(ops, events, opts))
      }
    }
    return b
  }

  /** Inside the queue: allocates cursors, seals the events, writes everything in one atomic KV batch. */
  private async commit (ops: KVOp[], events: PendingEvent[], opts?: WriteOptions): Promise<WriteResult> {
    this.check()
    const cursors: number[] = []
    const records: TernEvent[] = []
    if (events.length > 0) {
      if (this.cursor + events.length > MAX_U64_SAFE) throw new InvalidArgumentError('event cursor space exhausted')
      const at = this.now()
      for (const e of events) {
        const cursor = ++this.cursor // advanced even if the write fails: a cursor is never reused
        const stored: StoredEvent = { t: e.type, at, d: e.data }
        const key = eventKey(cursor)
        const plain = this.encodeJson(key, stored)
        ops.push({ type: 'put', key, value: this.seal(key, plain) })
        wipe(plain)
        cursors.push(cursor)
        records.push({ cursor, type: e.type, at, data: e.data })
      }
      const ck = metaKey(META_EVENT_CURSOR)
      ops.push({ type: 'put', key: ck, value: this.seal(ck, utf8(String(this.cursor))) })
    }
    if (ops.length > 0) await this.kv.batch(ops, opts?.sync === undefined ? undefined : { sync: opts.sync })
    if (records.length > 0) this.events.notify(records)
    return { cursors }
  }

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
    await this.queue
    this.closed = true
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

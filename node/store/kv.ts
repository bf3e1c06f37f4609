/**
 * KV: the byte-level, ordered key-value interface the encrypted store (db.ts) runs on, with the in-memory reference
 * implementation (level-kv.ts brings LevelDB). Keys are ASCII strings (keys.ts), values opaque bytes; it knows
 * nothing of encryption. Both implementations pass one compliance suite (test/store-kv.test.ts).
 * Semantics: batch() is atomic; iterate() reads a snapshot taken when iteration starts (first next()); values
 * handed in or out are copies (no aliasing with the caller).
 */
import { assertKey } from './keys.js'
import { StoreClosedError } from '../errors.js'
import { InvalidArgumentError } from '../../protocol/errors.js'

/** At most one lower bound (gt or gte) and one upper bound (lt or lte). */
export interface KVRange {
  gt?: string
  gte?: string
  lt?: string
  lte?: string
  /** Descending key order. */
  reverse?: boolean
  /** At most this many entries (default: all). */
  limit?: number
}

export type KVOp =
  | { type: 'put', key: string, value: Uint8Array }
  | { type: 'del', key: string }

export interface KVWriteOptions {
  /** fsync before resolving (survives power loss, not only a process crash). Implementation default applies. */
  sync?: boolean
  /**
   * Called synchronously once the batch has reached the operating system (it then survives a kill of this process)
   * and before the fsync that makes it survive power loss: the store tells local listeners then, so that their
   * wake-up overlaps the fsync (db.ts). Not called for a batch that failed before that point; a batch whose fsync
   * then fails still rejects (and, with the journal, fails every later write). Reads do not see the batch yet while
   * it runs: it must not read the KV.
   */
  onWritten?: () => void
  /**
   * With sync: resolve once the batch has reached the operating system (as onWritten) and make it durable at the
   * end of the event loop's turn, before any later durable write: `onSynced` says when (no argument) or that it
   * failed (the error; the KV then fails every later write). For a caller that sends something that must not go
   * out before the batch survives a kill, and only needs it to survive power loss a moment later (docs/node.md,
   * Durability). Honoured only by a KV whose `defersSync` is true; any other KV's batch is as durable as it gets
   * once it resolves.
   */
  deferSync?: boolean
  onSynced?: (err?: Error) => void
  /** The values are the KV's from now on (the caller never touches them again): it need not copy them. */
  handOver?: boolean
}

export interface KV {
  /** batch() honours KVWriteOptions.deferSync (and then calls onSynced) */
  readonly defersSync?: boolean
  get: (key: string) => Promise<Uint8Array | undefined>
  /**
   * The same read, synchronously, where the implementation has one (LevelDB's getSync; the in-memory KV). The store
   * prefers it: a read then costs microseconds instead of a thread-pool round trip and an event-loop turn, which on
   * a busy 2-core machine is most of a message's latency. It sees every batch that has resolved.
   */
  getSync?: (key: string) => Uint8Array | undefined
  put: (key: string, value: Uint8Array, opts?: KVWriteOptions) => Promise<void>
  del: (key: string, opts?: KVWriteOptions) => Promise<void>
  /** All or nothing. */
  batch: (ops: KVOp[], opts?: KVWriteOptions) => Promise<void>
  iterate: (range?: KVRange) => AsyncIterableIterator<[string, Uint8Array]>
  close: () => Promise<void>
}

/** Checks a range's bounds and limit at the KV boundary. */
export function checkRange (range: KVRange): void {
  for (const b of [range.gt, range.gte, range.lt, range.lte]) if (b !== undefined) assertKey(b)
  if ((range.gt !== undefined && range.gte !== undefined) || (range.lt !== undefined && range.lte !== undefined)) {
    throw new InvalidArgumentError('range: give at most one lower bound (gt|gte) and one upper bound (lt|lte)')
  }
  if (range.limit !== undefined && !(range.limit === Infinity || (Number.isSafeInteger(range.limit) && range.limit >= 0))) {
    throw new InvalidArgumentError('range.limit: expected a non-negative integer')
  }
}

export function checkOps (ops: KVOp[]): void {
  if (!Array.isArray(ops)) throw new InvalidArgumentError('batch: expected an array')
  for (const op of ops) {
    assertKey(op.key)
    if (op.type === 'put') {
      if (!(op.value instanceof Uint8Array)) throw new InvalidArgumentError('batch put: value must be a Uint8Array')
    } else if (op.type !== 'del') throw new InvalidArgumentError('batch: op.type must be put or del')
  }
}

const inRange = (k: string, r: KVRange): boolean =>
  (r.gt === undefined || k > r.gt) && (r.gte === undefined || k >= r.gte) &&
  (r.lt === undefined || k < r.lt) && (r.lte === undefined || k <= r.lte)

/** The in-memory KV: a sorted key array beside a Map. For tests and for stores that need no persistence. */
export class MemoryKV implements KV {
  private readonly keys: string[] = []
  private readonly map = new Map<string, Uint8Array>()
  private closed = false

  private check (): void { if (this.closed) throw new StoreClosedError() }

  /** Index of the first key >= k. */
  private lowerBound (k: string): number {
    let lo = 0; let hi = this.keys.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.keys[mid] < k) lo = mid + 1; else hi = mid
    }
    return lo
  }

  private apply (op: KVOp): void {
    if (op.type === 'put') {
      if (!this.map.has(op.key)) this.keys.splice(this.lowerBound(op.key), 0, op.key)
      this.map.set(op.key, new Uint8Array(op.value))
    } else if (this.map.delete(op.key)) {
      this.keys.splice(this.lowerBound(op.key), 1)
    }
  }

  async get (key: string): Promise<Uint8Array | undefined> { return this.getSync(key) }

  getSync (key: string): Uint8Array | undefined {
    this.check(); assertKey(key)
    const v = this.map.get(key)
    return v === undefined ? undefined : new Uint8Array(v)
  }

  async put (key: string, value: Uint8Array): Promise<void> { await this.batch([{ type: 'put', key, value }]) }
  async del (key: string): Promise<void> { await this.batch([{ type: 'del', key }]) }

  async batch (ops: KVOp[], opts?: KVWriteOptions): Promise<void> {
    this.check(); checkOps(ops)
    for (const op of ops) this.apply(op)
    opts?.onWritten?.()
    opts?.onSynced?.()
  }

  async * iterate (range: KVRange = {}): AsyncIterableIterator<[string, Uint8Array]> {
    this.check(); checkRange(range)
    // Snapshot: stored values are never mutated in place (apply() replaces them), so references suffice.
    const lo = range.gte !== undefined ? this.lowerBound(range.gte) : range.gt !== undefined ? this.lowerBound(range.gt) : 0
    const snap: Array<[string, Uint8Array]> = []
    for (let i = lo; i < this.keys.length; i++) {
      const k = this.keys[i]
      if ((range.lt !== undefined && k >= range.lt) || (range.lte !== undefined && k > range.lte)) break
      if (inRange(k, range)) snap.push([k, this.map.get(k) as Uint8Array])
    }
    if (range.reverse === true) snap.reverse()
    const limit = range.limit ?? Infinity
    let n = 0
    for (const [k, v] of snap) {
      if (n++ >= limit) return
      if (this.closed) throw new StoreClosedError()
      yield [k, new Uint8Array(v)]
    }
  }

  async close (): Promise<void> { this.closed = true }
}

/**
 * The store's read cache: decrypted values of recently read or written keys, so the records every message touches
 * (contact, session, outbox entry, message, id index) are read without a LevelDB round trip (a thread-pool hop and an
 * event-loop turn each) and without AES-GCM. Write-through: db.ts updates it only after a batch is committed, so it
 * never holds a value the disk does not. Knows nothing of encryption or of what the values mean.
 *
 * Holds plaintext in memory (the disk stays encrypted): a replaced or evicted value is wiped, so an old ratchet state
 * does not outlive its successor here. Bounded by bytes (plaintext only: a decoded form rides along uncounted, and is
 * only kept for the few keys asked for it), evicted in "second chance" order (CLOCK): the oldest entry goes first
 * unless it was read since it last came round, in which case it moves to the young end once. A read only sets a flag:
 * re-inserting the key on every read, as a strict LRU over a Map must, cost ~8 µs a read here (the Map's deleted
 * slots pile up until it rehashes), and a message reads about ten records. `null` records a key known to be absent
 * (a de-duplication lookup that usually misses).
 */
import { wipe } from '../../protocol/crypto/index.js'

/** Bytes charged per entry on top of its key and value (Map slot, small objects). */
const ENTRY_OVERHEAD_BYTES = 64

/**
 * A cached value: its plaintext (null: known absent) and, once asked for, a decoded form of it (Store.getMemo). An
 * entry is replaced, never changed, when its key is written, so a decoded form always belongs to its entry's value.
 */
export interface CacheEntry { readonly value: Uint8Array | null, decoded?: unknown }

/** An entry and its second-chance flag: read since it last reached the old end. */
interface Slot extends CacheEntry { referenced: boolean }

export class ValueCache {
  private readonly map = new Map<string, Slot>()
  private bytes = 0

  constructor (private readonly maxBytes: number) {}

  /** The entry itself (not a copy: do not change its value), undefined if not cached. */
  entry (key: string): CacheEntry | undefined { return this.touch(key) }

  private touch (key: string): CacheEntry | undefined {
    const e = this.map.get(key)
    if (e !== undefined) e.referenced = true
    return e
  }

  /** The cached plaintext (a copy), null if known absent, undefined if not cached. */
  get (key: string): Uint8Array | null | undefined {
    const e = this.touch(key)
    if (e === undefined) return undefined
    return e.value === null ? null : e.value.slice()
  }

  /** Records `key`'s current value (copied), or null for absent. */
  set (key: string, value: Uint8Array | null): void {
    this.adopt(key, value === null ? null : value.slice())
  }

  /** set() without the copy: the cache owns `value` from now on (it will wipe it). */
  adopt (key: string, value: Uint8Array | null): void {
    this.drop(key)
    const size = this.cost(key, value)
    if (size > this.maxBytes) { if (value !== null) wipe(value); return }
    this.map.set(key, { value, referenced: false })
    this.bytes += size
    while (this.bytes > this.maxBytes) {
      // Map iteration order is insertion order: the first entry is the oldest. A referenced one gets a second chance
      // (flag cleared, re-inserted at the young end); every entry is moved at most once per call, so this ends.
      const [oldest, e] = this.map.entries().next().value as [string, Slot]
      if (e.referenced && oldest !== key) {
        e.referenced = false
        this.map.delete(oldest)
        this.map.set(oldest, e)
      } else {
        this.drop(oldest)
      }
    }
  }

  /** Forgets `key` (its value is wiped). */
  drop (key: string): void {
    const old = this.map.get(key)
    if (old === undefined) return
    this.map.delete(key)
    this.bytes -= this.cost(key, old.value)
    if (old.value !== null) wipe(old.value)
  }

  /** Forgets everything (values wiped). */
  clear (): void {
    for (const k of [...this.map.keys()]) this.drop(k)
  }

  get size (): number { return this.map.size }
  get usedBytes (): number { return this.bytes }

  private cost (key: string, value: Uint8Array | null): number {
    return key.length + (value?.length ?? 0) + ENTRY_OVERHEAD_BYTES
  }
}

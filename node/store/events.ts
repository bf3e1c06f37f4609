/**
 * The event log: an append-only sequence of (cursor, type, at, data) records in the store under e/<u64 cursor>,
 * encrypted like every value. Cursors are strictly increasing across restarts (the last one is also kept under
 * meta/event-cursor, so pruning old events never reuses a cursor) and visible in cursor order: appends are
 * serialised by the store's write queue, so a reader that has seen cursor N will never later find a smaller one.
 * A failed write may leave a gap; readers must not assume cursors are contiguous.
 * Owns the record format; the event types and their data belong to the services that append them.
 */
import { eventKey, parseEventKey, prefixRange, PREFIX } from './keys.js'
import type { Store } from './db.js'

export interface TernEvent<T = unknown> {
  cursor: number
  type: string
  /** ms since the epoch, from the store's clock. */
  at: number
  data: T
}

/** Stored shape of an event (inside the encrypted value). */
export interface StoredEvent { t: string, at: number, d: unknown }

/** Default and largest page of readAfter(). */
export const DEFAULT_EVENT_PAGE = 100
export const MAX_EVENT_PAGE = 10_000

export type EventListener = (e: TernEvent) => void

export class EventLog {
  private readonly store: Store
  private readonly listeners = new Set<EventListener>()
  /** the listeners as an array, rebuilt on (un)subscribe: notify() runs for every write with events */
  private listening: EventListener[] = []

  constructor (store: Store) { this.store = store }

  /** Appends one event in its own durable write; returns its cursor. */
  async append (type: string, data?: unknown): Promise<number> {
    const { cursors } = await this.store.batch().appendEvent(type, data).write()
    return cursors[0]
  }

  /** Events with cursor > `cursor`, ascending, at most `limit`. */
  async readAfter (cursor: number, limit = DEFAULT_EVENT_PAGE): Promise<TernEvent[]> {
    const n = Math.min(Math.max(0, Math.floor(limit)), MAX_EVENT_PAGE)
    const out: TernEvent[] = []
    const range = prefixRange(PREFIX.event)
    for await (const { key, value } of this.store.iterateJson<StoredEvent>({ gt: eventKey(Math.max(0, cursor)), lt: range.lt, limit: n })) {
      out.push({ cursor: parseEventKey(key), type: value.t, at: value.at, data: value.d })
    }
    return out
  }

  /** The last cursor handed out (0 when the log is empty). */
  tail (): number { return this.store.lastEventCursor() }

  /**
   * Calls `fn` for each appended event, in cursor order, once its write has reached the OS and before that write's
   * fsync completes (db.ts commitGroup); `fn` must not read the store. Returns an unsubscribe function.
   */
  subscribe (fn: EventListener): () => void {
    this.listeners.add(fn)
    this.listening = [...this.listeners]
    return () => { this.listeners.delete(fn); this.listening = [...this.listeners] }
  }

  /** Called by the store once a batch with events is written (db.ts commitGroup). */
  notify (events: TernEvent[]): void {
    const fns = this.listening
    for (let i = 0; i < events.length; i++) {
      for (let j = 0; j < fns.length; j++) {
        try { fns[j](events[i]) } catch {} // a listener's failure must not fail the write that already succeeded
      }
    }
  }
}

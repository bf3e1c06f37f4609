/**
 * Event subscriptions: replay from a durable EventSource after a cursor, then live delivery, with no gap and no
 * duplicate even while events are appended during the replay, and with bounded memory when the client reads slowly.
 * Owns the EventSource contract and its in-memory reference implementation; knows nothing of sockets (it writes to
 * an EventSink) and nothing of what events mean.
 *
 * How (docs/API.md §Events): the listener is registered BEFORE the first read. While catching up, live events only
 * queue; each page read from the log is delivered if its cursor is above the last delivered one. When a read returns
 * less than a full page the log has been read to its end, so every later event is in the queue: deliver the queued
 * ones above the last cursor and go live. A queue that overflows is dropped and the catch-up keeps reading (the log
 * has them all); a sink that is congested sends the subscription back to catch-up, which waits for it to drain.
 */
import { MAX_LIVE_QUEUE_EVENTS, REPLAY_PAGE_EVENTS, SLOW_CONSUMER_TIMEOUT_MS } from './constants.js'

/** One entry of the durable event log. Cursors strictly increase in append order (not necessarily by 1). */
export interface StoredEvent {
  cursor: number
  type: string
  data: unknown
}

/**
 * The durable event log as the RPC layer sees it. Contract (checked by test/rpc-events.test.ts for any implementation):
 * - readAfter(c, n) returns up to n events with cursor > c, ascending;
 * - listeners are called once per appended event, in cursor order, and only after the event is visible to readAfter;
 * - head() is the cursor of the newest event (0 when empty).
 */
export interface EventSource {
  readAfter: (cursor: number, limit: number) => Promise<StoredEvent[]> | StoredEvent[]
  subscribe: (listener: (event: StoredEvent) => void) => () => void
  head: () => Promise<number> | number
}

/** In-memory reference EventSource (tests; the node's LevelDB one lives elsewhere). */
export class MemoryEventSource implements EventSource {
  private readonly events: StoredEvent[] = []
  private readonly listeners = new Set<(event: StoredEvent) => void>()
  private next = 1
  /** Artificial read delay (ms) so tests can force appends to land during a replay. */
  readDelayMs = 0

  append (type: string, data: unknown): StoredEvent {
    const event: StoredEvent = { cursor: this.next++, type, data }
    this.events.push(event)
    for (const l of [...this.listeners]) l(event)
    return event
  }

  async readAfter (cursor: number, limit: number): Promise<StoredEvent[]> {
    // Snapshot now, answer later: the delay models a store whose read lags its appends.
    let lo = 0
    let hi = this.events.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((this.events[mid] as StoredEvent).cursor <= cursor) lo = mid + 1
      else hi = mid
    }
    const page = this.events.slice(lo, lo + limit)
    if (this.readDelayMs > 0) await new Promise(resolve => setTimeout(resolve, this.readDelayMs))
    return page
  }

  subscribe (listener: (event: StoredEvent) => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  head (): number {
    return this.next - 1
  }

  get listenerCount (): number { return this.listeners.size }
}

/** Where a subscription writes. The server implements it over a connection. */
export interface EventSink {
  /** Write one event notification. */
  send: (event: StoredEvent) => void
  /** True when the outbound queue is above its high-water mark: stop sending. */
  congested: () => boolean
  /** Resolves when the outbound queue drains (or the sink closes). */
  drained: () => Promise<void>
  /** True once the connection is gone. */
  closed: () => boolean
  /** Give up on a consumer that does not read (the server closes the connection). */
  fail: (reason: string) => void
}

export interface SubscriptionInit {
  pageSize?: number
  maxQueue?: number
  slowConsumerTimeoutMs?: number
  /** Called with errors reading the source (the subscription then fails its sink). */
  onError?: (err: unknown) => void
}

type Mode = 'idle' | 'catchup' | 'live' | 'stopped'

export class Subscription {
  private readonly source: EventSource
  private readonly sink: EventSink
  private readonly pageSize: number
  private readonly maxQueue: number
  private readonly slowTimeoutMs: number
  private readonly onError: (err: unknown) => void
  private unsubscribe: (() => void) | undefined
  private mode: Mode = 'idle'
  private queue: StoredEvent[] = []
  /** Bumped whenever queued events were dropped: a read that started before cannot prove we caught up. */
  private generation = 0
  private pumping = false
  /** The last cursor delivered (or the start cursor). */
  private last = 0

  constructor (source: EventSource, sink: EventSink, init: SubscriptionInit = {}) {
    this.source = source
    this.sink = sink
    this.pageSize = init.pageSize ?? REPLAY_PAGE_EVENTS
    this.maxQueue = init.maxQueue ?? MAX_LIVE_QUEUE_EVENTS
    this.slowTimeoutMs = init.slowConsumerTimeoutMs ?? SLOW_CONSUMER_TIMEOUT_MS
    this.onError = init.onError ?? (() => {})
  }

  /** The cursor of the last event delivered. */
  get cursor (): number { return this.last }

  /**
   * Register with the source and fix the start cursor (after, or the head when absent or when after is beyond it). Events are queued, not
   * sent, until run() — call it once the subscribe response is on the wire.
   */
  async open (after?: number): Promise<number> {
    if (this.mode !== 'idle') throw new Error('subscription already opened')
    this.mode = 'catchup'
    this.unsubscribe = this.source.subscribe(e => { this.handleLive(e) })
    try {
      // A cursor beyond the head (a log that was reset, a cursor from another node) is clamped to the head, so the
      // client is told where delivery really starts instead of silently skipping every event up to its cursor.
      const head = await this.source.head()
      this.last = after === undefined ? head : Math.min(after, head)
    } catch (err) {
      this.stop()
      throw err
    }
    return this.last
  }

  /** Start delivering: replay, then live. */
  run (): void {
    if (this.mode === 'stopped') return
    void this.pump()
  }

  stop (): void {
    this.mode = 'stopped'
    this.queue = []
    this.unsubscribe?.()
    this.unsubscribe = undefined
  }

  get stopped (): boolean { return this.mode === 'stopped' }

  private handleLive (event: StoredEvent): void {
    if (this.mode === 'stopped' || this.sink.closed()) return
    if (this.mode === 'live') {
      if (event.cursor <= this.last) return
      if (!this.sink.congested()) {
        this.deliver(event)
        return
      }
      // Congested: fall back to catch-up, which waits for the drain and re-reads from the log.
      this.mode = 'catchup'
      this.queue = []
      this.generation++
      void this.pump()
      return
    }
    if (this.queue.length >= this.maxQueue) {
      this.queue = []
      this.generation++
      return
    }
    this.queue.push(event)
  }

  private deliver (event: StoredEvent): void {
    this.last = event.cursor
    this.sink.send(event)
  }

  private async pump (): Promise<void> {
    if (this.pumping) return
    this.pumping = true
    try {
      while (this.mode === 'catchup' && !this.sink.closed()) {
        if (this.sink.congested()) {
          const ok = await this.waitDrain()
          if (!ok) return
          continue
        }
        const gen = this.generation
        const page = await this.source.readAfter(this.last, this.pageSize)
        if (this.mode !== 'catchup' || this.sink.closed()) return
        let interrupted = false
        for (const e of page) {
          if (e.cursor <= this.last) continue
          this.deliver(e)
          if (this.sink.congested()) { interrupted = true; break }
        }
        if (interrupted || page.length >= this.pageSize || gen !== this.generation) continue
        // The read reached the end of the log: everything after it is queued.
        const queued = this.queue
        this.queue = []
        for (let i = 0; i < queued.length; i++) {
          const e = queued[i] as StoredEvent
          if (e.cursor <= this.last) continue
          this.deliver(e)
          if (this.sink.congested() && i < queued.length - 1) { interrupted = true; break }
        }
        if (interrupted) { this.generation++; continue }
        this.mode = 'live'
      }
    } catch (err) {
      this.onError(err)
      this.stop()
      this.sink.fail('event source error')
    } finally {
      this.pumping = false
    }
  }

  private async waitDrain (): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const timedOut = await Promise.race([
      this.sink.drained().then(() => false),
      new Promise<boolean>(resolve => { timer = setTimeout(() => resolve(true), this.slowTimeoutMs) })
    ])
    clearTimeout(timer)
    if (timedOut && !this.sink.closed() && this.sink.congested()) {
      this.stop()
      this.sink.fail('slow consumer')
      return false
    }
    return this.mode === 'catchup' && !this.sink.closed()
  }
}

/**
 * The outbox (o/<entryId>): everything this node must still get to a peer — texts, receipts, its ContactInfo and the
 * handshake's request/accept. An entry is written BEFORE anything goes on the wire (in the same batch as what it
 * delivers) and deleted only once the peer acknowledged it (direct ack or, for texts, a delivery receipt) or a mailbox
 * took it (everything but texts). Ratchet envelopes are built ONCE and stored in the entry, so every retry resends
 * the same bytes and the receiver's de-duplication makes retries harmless (PROTOCOL.md §10).
 *
 * This module owns the entry schema and the retry scheduler; delivery.ts owns one attempt.
 */
import { outboxKey, prefixRange, PREFIX, type Store } from '../store/index.js'
import type { Clock } from './clock.js'
import type { Timings } from './constants.js'
import type { StoredCapability } from './contacts.js'

export type OutboxKind = 'text' | 'receipt' | 'info' | 'request' | 'accept'

export interface StoredReceipt { kind: 'delivered' | 'read', ids: string[], seqs: number[] }

export interface OutboxEntry {
  id: string
  contactId: string
  kind: OutboxKind
  /** text: position of the message in the conversation */
  seq?: number
  receipt?: StoredReceipt
  /** the envelope (base64url) once built; null until the session exists */
  envelope: string | null
  /** a mailbox holds a copy already */
  deposited: boolean
  attempts: number
  createdAt: number
  /** request: the invite's queue and relay (the contact has no queue of theirs yet) */
  cap?: StoredCapability | null
  hint?: string[]
}

export async function loadEntry (store: Store, id: string): Promise<OutboxEntry | undefined> {
  return await store.getJson<OutboxEntry>(outboxKey(id))
}

export async function listEntries (store: Store): Promise<OutboxEntry[]> {
  return (await store.listJson<OutboxEntry>(prefixRange(PREFIX.outbox))).map(e => e.value)
}

/**
 * Entries in delivery order: per contact, texts by their position (= the sender seq order, which is also the order
 * their envelopes were encrypted in), everything else by creation time. Keys are random ids (o/<id>), so the store's
 * order says nothing; a restart or a kick resumes in this order instead (PROTOCOL.md §10).
 */
export function inDeliveryOrder (entries: OutboxEntry[]): OutboxEntry[] {
  return [...entries].sort((a, b) => {
    if (a.contactId !== b.contactId) return a.contactId < b.contactId ? -1 : 1
    if (a.seq !== undefined && b.seq !== undefined) return a.seq - b.seq
    return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  })
}

/** Delay before retry number `attempts` (≥ 1): exponential, capped. */
export function backoff (t: Timings, attempts: number): number {
  return Math.min(t.RETRY_BACKOFF_MAX_MS, t.RETRY_BACKOFF_MIN_MS * 2 ** Math.max(0, Math.min(30, attempts - 1)))
}

/** Runs `attempt(id)` for scheduled entries: one run per entry at a time, a request during a run re-runs after it. */
export class Outbox<P = never> {
  private readonly timers = new Map<string, unknown>()
  /** entries whose timer only holds them back to travel together (receipts), not a retry backoff */
  private readonly held = new Set<string>()
  private readonly running = new Map<string, Promise<void>>()
  private readonly again = new Set<string>()
  private stopped = true

  constructor (private readonly clock: Clock, private readonly attempt: (id: string, primed?: P) => Promise<void>,
    private readonly log: (o: Record<string, unknown>) => void) {}

  start (): void { this.stopped = false }

  /**
   * Runs the entry after `delayMs`; with no delay it starts now (no timer tick on the send path). `hold`: the delay
   * only gathers entries to travel together (receipts), so runHeld() may cut it short. `primed`: what the caller
   * has just written for the entry, handed to the attempt started now (delivery.ts PrimedAttempt); dropped if none
   * starts now (a delay, a stopped outbox, an attempt of the entry already running).
   */
  schedule (id: string, delayMs = 0, opts: { hold?: boolean, primed?: P } = {}): void {
    if (this.stopped) return
    const old = this.timers.get(id)
    if (old !== undefined) { this.clock.clearTimeout(old); this.timers.delete(id) }
    this.held.delete(id)
    if (delayMs <= 0) { this.run(id, opts.primed); return }
    if (opts.hold === true) this.held.add(id)
    this.timers.set(id, this.clock.setTimeout(() => {
      this.timers.delete(id)
      this.held.delete(id)
      this.run(id)
    }, delayMs))
  }

  /**
   * Runs every held entry now and resolves once those attempts ended, or after `ms` of real time (before a stop:
   * receipts should not wait for the next start). The timer is a plain (ref'd) one, not the clock's: a stop in
   * progress keeps the process alive.
   */
  async runHeld (ms: number): Promise<void> {
    const ids = [...this.held]
    if (ids.length === 0) return
    for (const id of ids) this.schedule(id)
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<void>(resolve => { timer = setTimeout(resolve, ms) })
    await Promise.race([Promise.all(ids.map(async id => { await this.running.get(id) })), timeout])
    clearTimeout(timer)
  }

  private run (id: string, primed?: P): void {
    if (this.stopped) return
    if (this.running.has(id)) { this.again.add(id); return }
    const p = this.attempt(id, primed).catch((err: unknown) => {
      this.log({ msg: 'outbox attempt failed', entry: id, code: (err as { code?: string })?.code ?? 'ERR_INTERNAL' })
    }).finally(() => {
      this.running.delete(id)
      if (this.again.delete(id)) this.run(id)
    })
    this.running.set(id, p)
  }

  /** Cancels timers and waits for running attempts. */
  async stop (): Promise<void> {
    this.stopped = true
    for (const h of this.timers.values()) this.clock.clearTimeout(h)
    this.timers.clear()
    this.held.clear()
    this.again.clear()
    await Promise.all([...this.running.values()])
  }
}

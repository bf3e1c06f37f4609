/**
 * Ratchet sessions in the store (s/<contactId>, the serialized RatchetState of protocol/ratchet, with its sending
 * reservation) and the per-contact lock that serialises every read-modify-write of a contact, its session and its
 * conversation. Owns nothing else.
 *
 * The sending reservation (PROTOCOL.md §6.9, docs/node.md Durability): a message key may leave the node only once a
 * durable record says it may have been used. A text is sent before its own write is fsync'd (the fsync follows at
 * the end of the event loop's turn, WriteOptions.deferSync), so the record written with the PREVIOUS send reserves
 * the next key: `reserved.count` = the sending count below which keys may have been used, by the process `run`. A
 * process that finds a reservation of another run (it restarted, perhaps after a power cut that lost the record of
 * a message already on the wire) skips the sending chain up to it before it sends (skipSending; with a DH step
 * pending, the new chain's PN counts up to it instead), and its first send waits for its own fsync. A reservation
 * is written by every send and kept by every other write of the session.
 */
import { deserializeState, MAX_SKIP, serializeState, skipSending, type RatchetState } from '../../protocol/ratchet/index.js'
import { fromBase64url, toBase64url } from '../../protocol/crypto/index.js'
import { sessionKey, type Store, type StoreBatch } from '../store/index.js'

/** A sending reservation: keys of the current sending chain below `count` may have been used by process run `run`. */
export interface Reservation { count: number, run: string }

interface StoredSession { v: 1, state: string, reserved?: Reservation }

/** A session as stored: its state and its sending reservation, if any. */
export interface SessionRecord { state: RatchetState, reserved?: Reservation }

/**
 * The contact's session. Decoded once per stored version (Store.getMemo): a RatchetState is immutable by contract
 * (protocol/ratchet/state.ts), so every reader may share it.
 */
export async function loadSessionRecord (store: Store, contactId: string): Promise<SessionRecord | undefined> {
  return await store.getMemo(sessionKey(contactId), json => {
    const stored = json as StoredSession
    const r = stored.reserved
    const record: SessionRecord = { state: deserializeState(fromBase64url(stored.state)) }
    if (r !== undefined && Number.isSafeInteger(r.count) && r.count >= 0 && typeof r.run === 'string') record.reserved = { count: r.count, run: r.run }
    return record
  })
}

export async function loadSession (store: Store, contactId: string): Promise<RatchetState | undefined> {
  return (await loadSessionRecord(store, contactId))?.state
}

/**
 * The state to encrypt the next message under, for process run `run`: skipped past the keys another run may have
 * used (see above; `skipped` then: the caller also skips the sender seq such a lost text may have had); `early` when
 * the next key is reserved by this run, so its message may leave before its write is durable. A reservation more
 * than MAX_SKIP ahead (never written: it is always one key ahead) throws rather than reuse a key.
 */
export function sendable (record: SessionRecord, run: string): { state: RatchetState, early: boolean, skipped: boolean } {
  const { state, reserved } = record
  if (reserved === undefined) return { state, early: false, skipped: false }
  if (state.sendChainKey === null) {
    // A DH step pending: the next message starts a chain and nothing goes early. The reservation is the previous
    // chain's (receives keep it, and between two DH steps there is always a send, which rewrites it). That chain's
    // count as stored may be short of a message another run sent and lost the state of: the new chain's PN counts
    // up to the reservation, so the receiver keeps that message's key (§6.6) for a late copy (a mailbox's).
    // (Raised by more than MAX_SKIP, the receiver would refuse the chain. Only a peer forcing two DH steps without a
    // send of ours between them can make it so: then no raise, as no key of ours can be reused on a new chain.)
    const behind = reserved.count - state.prevSendCount
    if (reserved.run === run || behind <= 0 || behind > MAX_SKIP) return { state, early: false, skipped: false }
    return { state: { ...state, prevSendCount: reserved.count }, early: false, skipped: true }
  }
  if (reserved.count <= state.sendCount) return { state, early: false, skipped: false }
  if (reserved.run === run) return { state, early: true, skipped: false }
  return { state: skipSending(state, reserved.count - state.sendCount), early: false, skipped: true }
}

/** The reservation a send writes with its new state: the next key, for this run (none without a sending chain). */
export function reserveNext (state: RatchetState, run: string): Reservation | undefined {
  return state.sendChainKey === null ? undefined : { count: state.sendCount + 1, run }
}

/**
 * Adds the session to `b`, with its reservation (a send's reserveNext(), or the one it was loaded with), and with
 * the record itself as its decoded form: the next loadSession() does not decode it.
 */
export function putSession (b: StoreBatch, contactId: string, state: RatchetState, reserved?: Reservation): StoreBatch {
  const stored: StoredSession = { v: 1, state: toBase64url(serializeState(state)) }
  const record: SessionRecord = { state }
  if (reserved !== undefined) { stored.reserved = reserved; record.reserved = reserved }
  return b.putJson(sessionKey(contactId), stored, record)
}

/** Runs tasks one at a time per key (FIFO), tasks of different keys concurrently. */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>()

  async run<T> (key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve()
    const run = prev.then(fn, fn)
    const tail = run.catch(() => {})
    this.tails.set(key, tail)
    void tail.then(() => { if (this.tails.get(key) === tail) this.tails.delete(key) })
    return await run
  }

  /** Resolves once every task queued so far has settled. */
  async idle (): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()])
  }
}

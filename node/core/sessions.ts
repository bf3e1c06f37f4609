/**
 * Ratchet sessions in the store (s/<contactId>, the serialized RatchetState of protocol/ratchet) and the per-contact
 * lock that serialises every read-modify-write of a contact, its session and its conversation. Owns nothing else.
 */
import { deserializeState, serializeState, type RatchetState } from '../../protocol/ratchet/index.js'
import { fromBase64url, toBase64url } from '../../protocol/crypto/index.js'
import { sessionKey, type Store, type StoreBatch } from '../store/index.js'

interface StoredSession { v: 1, state: string }

/**
 * The contact's session. Decoded once per stored version (Store.getMemo): a RatchetState is immutable by contract
 * (protocol/ratchet/state.ts), so every reader may share it.
 */
export async function loadSession (store: Store, contactId: string): Promise<RatchetState | undefined> {
  return await store.getMemo(sessionKey(contactId), json => deserializeState(fromBase64url((json as StoredSession).state)))
}

/** Adds the session to `b`, with `state` itself as its decoded form: the next loadSession() does not decode it. */
export function putSession (b: StoreBatch, contactId: string, state: RatchetState): StoreBatch {
  return b.putJson(sessionKey(contactId), { v: 1, state: toBase64url(serializeState(state)) } satisfies StoredSession, state)
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

/** What the core's modules share: the injected dependencies and a few services of the Messenger. Types only. */
import type { Rng } from '../../protocol/crypto/index.js'
import type { IdentityKeyPair } from '../../protocol/identity/index.js'
import type { Store } from '../store/index.js'
import type { Clock } from './clock.js'
import type { Timings } from './constants.js'
import type { Net } from './net.js'
import type { KeyedLock } from './sessions.js'
import type { Outbox } from './outbox.js'
import type { PrimedAttempt } from './delivery.js'
import type { SentQueue } from './sent-queue.js'

export interface CoreContext {
  store: Store
  net: Net
  rng: Rng
  /** this messenger's run, random: whose sending reservations are its own (sessions.ts) */
  run: string
  clock: Clock
  timings: Timings
  identity: IdentityKeyPair
  /** per-contact lock: every write touching a contact, its session or its messages runs under lock.run(contactId) */
  lock: KeyedLock
  /**
   * per-contact lock on the statuses of its OUTGOING messages (and their outbox entries once sent): a status move
   * after an ack (delivery.ts advanceMessage) takes only this one, so it does not wait behind a send's durable write
   * (it runs while that write is on the disk instead of after it, on the next send's path). Whoever else changes
   * such a status (a received receipt, removeContact) takes it inside `lock`: always in that order.
   */
  statusLock: KeyedLock
  outbox: Outbox<PrimedAttempt>
  /** the "sent" status moves of acknowledged messages, written a little later together (sent-queue.ts) */
  sent: SentQueue
  myName: () => string
  log: (obj: Record<string, unknown>) => void
  isOnline: (peerId: string) => boolean
  /** an AbortSignal that fires after `ms` or when the messenger stops */
  deadline: (ms: number) => { signal: AbortSignal, done: () => void }
}

/**
 * Timings and limits of the delivery core (PROTOCOL.md §10). Every duration is in milliseconds. Tests override the
 * timings (MessengerInit.timings); the limits are fixed.
 */

export interface Timings {
  /** A direct attempt that has not reached the peer within this is a failure: deposit into the mailbox (ms). §10 */
  UNREACHABLE_AFTER_MS: number
  /** Time allowed for the peer's ack once the envelope is on the wire, added to the direct deadline (ms). §10 */
  ACK_TIMEOUT_MS: number
  /** First retry delay of an outbox entry (ms); doubles per attempt. §10 */
  RETRY_BACKOFF_MIN_MS: number
  /** Longest retry delay of an outbox entry (ms, 5 minutes). §10 */
  RETRY_BACKOFF_MAX_MS: number
  /** Deadline of one mailbox deposit or queue operation (ms). §8 */
  MAILBOX_TIMEOUT_MS: number
  /** Default invite lifetime (ms, 7 days). §4 */
  INVITE_TTL_MS: number
  /** Direct attempts of a ContactReject before it is dropped (count; rejects are best effort). §5.5 */
  REJECT_ATTEMPTS: number
  /**
   * How long a delivery receipt waits before its first attempt (ms), so that the receipts of a burst of messages
   * travel as ONE ratchet message instead of one each: a receipt is a direction change of the ratchet (a DH step on
   * both sides) and a durable write on both sides. §7.2, §10
   */
  RECEIPT_DELAY_MS: number
  /** How long stop() waits for the receipts still held back by RECEIPT_DELAY_MS to go out (ms). §10 */
  STOP_FLUSH_MS: number
  /**
   * How long the "sent" status of an acknowledged message waits to be written together with the others of that time
   * (ms; core/sent-queue.ts): off the path of the next message a client sends. §10
   */
  SENT_STATUS_DELAY_MS: number
}

export const DEFAULT_TIMINGS: Timings = Object.freeze({
  UNREACHABLE_AFTER_MS: 5000,
  ACK_TIMEOUT_MS: 3000,
  RETRY_BACKOFF_MIN_MS: 1000,
  RETRY_BACKOFF_MAX_MS: 300_000,
  MAILBOX_TIMEOUT_MS: 10_000,
  INVITE_TTL_MS: 7 * 24 * 3600 * 1000,
  REJECT_ATTEMPTS: 3,
  RECEIPT_DELAY_MS: 100,
  STOP_FLUSH_MS: 500,
  SENT_STATUS_DELAY_MS: 25
})

/**
 * Distance between consecutive positions (`seq`) of a conversation. Positions are allocated with gaps so that a late
 * incoming message (sender seq lower than one already shown) can be placed before its successor without renumbering.
 */
export const SEQ_STEP = 1024

/** Receipt ids per Receipt content (count, = protocol MAX_RECEIPT_IDS). §7.2 */
export const RECEIPT_BATCH = 256

/** Store key prefixes owned by node/core (in addition to node/store/keys.ts). Values are encrypted; keys hold ids only. */
export const CORE_PREFIX = Object.freeze({
  /** iv/<blind(invite tag)> → InviteEntry */
  invite: 'iv/',
  /** rq/<blind(request tag)> → RequestEntry (the invitee's pending request and its prekey secrets) */
  request: 'rq/',
  /** q/<blind(queue id)> → QueueEntry (which contact or invite a queue of mine belongs to) */
  queue: 'q/',
  /** ik/<blind(idempotency key)> → { contactId, seq } */
  idempotency: 'ik/',
  /** ms/<contactId>/<u64 sender seq> → position of an incoming message */
  senderSeq: 'ms/'
})

/**
 * Write mode of the core's bookkeeping writes whose loss in an OS crash or power cut is repaired by a retry: status
 * moves (queued → sent → mailbox), outbox deletions after an ack, attempt counters, lastSeen. They are handed to the
 * kernel before they resolve, so a killed process (kill -9) loses none of them (node/store/db.ts WriteOptions).
 * Everything else stays durable (fsync): a send() (it advances the ratchet's sending chain and holds the text the
 * client was told is queued), a receive (the Net acknowledges it to the sender, who then forgets it: if that write
 * were lost in a power cut the message would be lost for good), contacts, sessions, invites and keys.
 * Power loss after a lazy write: the sender's outbox still holds the entry and resends the SAME envelope; the
 * receiver's ratchet reports it as a duplicate and acknowledges again; the status catches up. PROTOCOL.md §10.
 */
export const LAZY_WRITE = Object.freeze({ sync: false })

/**
 * Operator-tunable quotas of the mailbox (PROTOCOL.md §8.6) and their defaults. `setLimits` (SIGHUP) replaces
 * them at run time; a lowered quota refuses new deposits but deletes nothing already stored.
 */
export interface MailboxLimits {
  /** Largest envelope accepted, bytes. Default 96 KiB (98,304). Larger: TOO_LARGE. */
  maxEnvelopeBytes: number
  /** Most envelopes one queue holds. Default 10,000. Beyond: QUEUE_FULL. */
  queueMaxEnvelopes: number
  /** Most envelope bytes one queue holds. Default 64 MiB. Beyond: QUEUE_BYTES_FULL. */
  queueMaxBytes: number
  /** Most queues one owner PeerId may have. Default 16. Beyond: OWNER_QUOTA (at CreateQueue). */
  ownerMaxQueues: number
  /** Most envelope bytes over all of one owner PeerId's queues. Default 256 MiB. Beyond: OWNER_QUOTA (at Deposit). */
  ownerMaxBytes: number
  /**
   * How long an envelope is kept, ms. Default 30 days. An envelope this old is never returned and is deleted;
   * a queue without an owner operation for this long refuses deposits with EXPIRED, and is deleted after
   * twice this long (QUEUE_GC_FACTOR).
   */
  retentionMs: number
  /** Most queues on the relay in total, counted only when allowOwners is 'any'. Default 100,000. Beyond: RELAY_QUOTA. */
  maxQueuesAnyOwnerTotal?: number
  /** Period of the retention sweep, ms. Default 10 minutes. 0 turns the periodic sweep off. */
  sweepIntervalMs?: number
}

/** Limits with every optional field filled in. */
export type ResolvedMailboxLimits = Required<MailboxLimits>

export const DAY_MS = 24 * 60 * 60 * 1000

export const defaultMailboxLimits: Readonly<ResolvedMailboxLimits> = Object.freeze({
  maxEnvelopeBytes: 96 * 1024,
  queueMaxEnvelopes: 10_000,
  queueMaxBytes: 64 * 1024 * 1024,
  ownerMaxQueues: 16,
  ownerMaxBytes: 256 * 1024 * 1024,
  retentionMs: 30 * DAY_MS,
  maxQueuesAnyOwnerTotal: 100_000,
  sweepIntervalMs: 10 * 60 * 1000
})

/** Fills unset fields from the defaults. */
export function resolveLimits (limits: Partial<MailboxLimits> = {}): ResolvedMailboxLimits {
  const out = { ...defaultMailboxLimits }
  for (const [k, v] of Object.entries(limits)) if (v !== undefined) (out as Record<string, number>)[k] = v
  return out
}

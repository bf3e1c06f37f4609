/**
 * Stored messages (m/<contactId>/<u64 seq>) and their public form, the RPC `Message` (node/rpc/methods.ts).
 *
 * Ordering (PROTOCOL.md §10): `seq` is the message's POSITION in the local conversation, not a clock. Positions are
 * allocated SEQ_STEP apart at local arrival (outgoing: when sent; incoming: when received), so in and out interleave
 * in the order this node saw them. Each sender's messages are still kept in their sender seq order: an incoming
 * message whose sender seq is lower than one already stored (reordered or recovered from the mailbox) is given a
 * position between its predecessor and its successor (receive.ts placeIncoming); in the rare case that no free
 * position is left there, that sender's later messages each move up one slot, so their `seq` can change (their
 * order never does). `seq` is therefore ascending but not contiguous; use it only as a cursor (messages.list
 * `before`, messages.markRead `upTo`).
 */
export type MessageStatus = 'queued' | 'sent' | 'mailbox' | 'delivered' | 'read' | 'failed'
export type MessagePath = 'direct' | 'relayed' | 'mailbox'

/** Statuses only move forward in this order; `failed` is terminal and only replaces queued/sent/mailbox. */
export const STATUS_RANK: Readonly<Record<MessageStatus, number>> = Object.freeze({
  queued: 0, sent: 1, mailbox: 2, delivered: 3, read: 4, failed: 5
})

export interface Message {
  id: string
  with: string
  seq: number
  direction: 'in' | 'out'
  text: string
  sentAt: number
  receivedAt: number | null
  status: MessageStatus
  path: MessagePath | null
  failure?: string
}

/** A stored message: the API's Message plus the sender's own sequence number (Text.seq). */
export interface MessageRecord extends Message {
  /** the sender's seq in Text.seq */
  senderSeq: number
}

export function toMessage (m: MessageRecord): Message {
  const out: Message = {
    id: m.id, with: m.with, seq: m.seq, direction: m.direction, text: m.text, sentAt: m.sentAt, receivedAt: m.receivedAt,
    status: m.status, path: m.path
  }
  if (m.status === 'failed' && m.failure !== undefined) out.failure = m.failure
  return out
}

/** Whether `next` may replace `cur` (statuses only move forward). */
export function advances (cur: MessageStatus, next: MessageStatus): boolean {
  if (cur === 'failed') return false
  if (next === 'failed') return cur === 'queued' || cur === 'sent' || cur === 'mailbox'
  return STATUS_RANK[next] > STATUS_RANK[cur]
}

/** message.status event data (MessageStatusEvent). */
export function statusEvent (m: MessageRecord): Record<string, unknown> {
  const d: Record<string, unknown> = { id: m.id, with: m.with, status: m.status, path: m.path }
  if (m.status === 'failed' && m.failure !== undefined) d.failure = m.failure
  return d
}

/**
 * Delivery and read receipts (PROTOCOL.md §7.2, §10): encrypted control messages carried like texts (outbox, ratchet),
 * so a message that travelled through a mailbox still reaches `delivered` and `read`. Owns building receipt entries
 * and applying a received receipt to outgoing messages.
 */
import { toBase64url } from '../../protocol/crypto/index.js'
import type { Receipt } from '../../protocol/envelope/index.js'
import { messageIdKey, messageKey, newId, outboxKey, type StoreBatch } from '../store/index.js'
import { RECEIPT_BATCH } from './constants.js'
import type { CoreContext } from './context.js'
import { advances, statusEvent, type MessageRecord } from './messages.js'
import type { OutboxEntry } from './outbox.js'

/**
 * Outbox entries (added to `b`) carrying receipts for the given incoming messages, RECEIPT_BATCH ids each. They are
 * stored unsealed: their first attempt encrypts them (delivery.ts buildReceipts), together with every other unsealed
 * receipt of the contact, so a burst of messages is answered by one receipt.
 */
export function queueReceipts (ctx: CoreContext, b: StoreBatch, contactId: string, kind: 'delivered' | 'read',
  msgs: Array<{ id: string, senderSeq: number }>): string[] {
  const ids: string[] = []
  for (let i = 0; i < msgs.length; i += RECEIPT_BATCH) {
    const chunk = msgs.slice(i, i + RECEIPT_BATCH)
    const e: OutboxEntry = {
      id: newId(ctx.rng), contactId, kind: 'receipt',
      receipt: { kind, ids: chunk.map(m => m.id), seqs: chunk.map(m => m.senderSeq) },
      envelope: null, deposited: false, attempts: 0, createdAt: ctx.clock.now()
    }
    b.putJson(outboxKey(e.id), e)
    ids.push(e.id)
  }
  return ids
}

/**
 * Applies a receipt to my outgoing messages (inside the contact's lock, in the caller's batch): statuses move
 * forward to delivered/read and the texts leave the outbox.
 */
export async function applyReceipt (ctx: CoreContext, b: StoreBatch, contactId: string, r: Receipt): Promise<number> {
  let n = 0
  for (const raw of r.ids) {
    const id = toBase64url(raw)
    const idx = await ctx.store.getJson<{ seq: number }>(messageIdKey(contactId, id))
    if (idx === undefined) continue
    const m = await ctx.store.getJson<MessageRecord>(messageKey(contactId, idx.seq))
    if (m === undefined || m.direction !== 'out') continue
    b.del(outboxKey(m.id))
    if (!advances(m.status, r.kind)) continue
    const next: MessageRecord = { ...m, status: r.kind }
    b.putJson(messageKey(contactId, m.seq), next).appendEvent('message.status', statusEvent(next))
    n++
  }
  return n
}

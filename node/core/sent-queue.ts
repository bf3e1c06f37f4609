/**
 * Gathers the "sent" status moves of direct and relayed deliveries (delivery.ts finish) and writes them
 * SENT_STATUS_DELAY_MS later, all of a contact in one lazy write: message → sent with its path, its event, its outbox
 * entry deleted. Without it every acked message costs one more store write the moment its ack arrives, which is
 * exactly when a client sending a burst hands the node its next text, so that text's durable write queued behind it
 * (measured on the node bench: ~0.4 ms of the next message's path). Written later it mostly goes alone, between
 * sends, or as one write for several.
 * What waits: the status and event (by SENT_STATUS_DELAY_MS) and the outbox entry's deletion. A crash before the
 * write loses it exactly as a power cut loses a lazy write (core/constants.ts LAZY_WRITE): the entry is still there,
 * the restarted outbox resends the same envelope, the receiver acknowledges the duplicate and the status catches up.
 * A status that moved further meanwhile (a receipt: delivered, read) is not moved back (messages.ts advances).
 */
import { outboxKey } from '../store/index.js'
import { LAZY_WRITE } from './constants.js'
import type { CoreContext } from './context.js'
import { stageStatus } from './delivery.js'
import type { MessagePath } from './messages.js'

interface SentMove { seq: number, path: MessagePath, entryId: string }

export class SentQueue {
  private pending = new Map<string, SentMove[]>()
  private timer: unknown
  private readonly running = new Set<Promise<void>>()

  constructor (private readonly ctx: CoreContext) {}

  /** Queues `entryId`'s message (contact, position) to become sent via `path`. */
  add (contactId: string, seq: number, path: MessagePath, entryId: string): void {
    const list = this.pending.get(contactId)
    if (list === undefined) this.pending.set(contactId, [{ seq, path, entryId }])
    else list.push({ seq, path, entryId })
    if (this.timer === undefined) {
      this.timer = this.ctx.clock.setTimeout(() => { this.timer = undefined; void this.flush() }, this.ctx.timings.SENT_STATUS_DELAY_MS)
    }
  }

  /** Writes every queued move now (and waits for writes already under way): before a stop, and for tests. */
  async flush (): Promise<void> {
    if (this.timer !== undefined) { this.ctx.clock.clearTimeout(this.timer); this.timer = undefined }
    const batch = this.pending
    this.pending = new Map()
    const run = this.write(batch)
    this.running.add(run)
    try {
      await Promise.all([...this.running])
    } finally {
      this.running.delete(run)
    }
  }

  private async write (batch: Map<string, SentMove[]>): Promise<void> {
    for (const [contactId, moves] of batch) {
      try {
        await this.ctx.statusLock.run(contactId, async () => {
          const { store } = this.ctx
          const b = store.batch()
          for (const mv of moves) {
            b.del(outboxKey(mv.entryId))
            await stageStatus(this.ctx, b, contactId, mv.seq, 'sent', mv.path)
          }
          await b.write(LAZY_WRITE)
        })
      } catch (err) {
        // the entries stay in the outbox: resent later, acknowledged again by the receiver, then moved
        this.ctx.log({ msg: 'sent status write failed', contact: contactId, code: (err as { code?: string })?.code })
      }
    }
  }
}

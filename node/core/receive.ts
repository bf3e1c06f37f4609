/**
 * Inbound ratchet messages (PROTOCOL.md §6, §10): find the contact (authenticated sender, then the queue it was
 * deposited into, then trial decryption), decrypt under the contact's lock, and store the result with the new
 * ratchet state, its event and its (still unsealed) delivery receipt in ONE write before the Net acknowledges.
 * Duplicates (the ratchet's duplicate error or a known message id) store nothing and are acknowledged again; a known
 * id in a new ciphertext (a sender's retry after it lost its copy) also gets its receipts again.
 */
import { toBase64url } from '../../protocol/crypto/index.js'
import { openContent, type Content, type RatchetMessage } from '../../protocol/envelope/index.js'
import { DuplicateMessageError, TooManySkippedError, ratchetDecrypt } from '../../protocol/ratchet/index.js'
import { TernError } from '../../protocol/errors.js'
import {
  contactKey, decodeU64, encodeU64, messageIdKey, messageKey, messagePrefix, parseMessageKey, prefixRange, PREFIX, type StoreBatch
} from '../store/index.js'
import { CORE_PREFIX, SEQ_STEP } from './constants.js'
import { capabilityFromInfo, cleanName, toContact, type ContactRecord } from './contacts.js'
import type { CoreContext } from './context.js'
import { contactIdByPeer, queueKey, type ContactHooks, type QueueEntry } from './invites.js'
import { toMessage, type MessageRecord } from './messages.js'
import type { InboundEnvelope } from './net.js'
import { applyReceipt, queueReceipts } from './receipts.js'
import { loadSessionRecord, putSession } from './sessions.js'

const senderSeqKey = (contactId: string, s: number): string => `${CORE_PREFIX.senderSeq}${contactId}/${encodeU64(s)}`

/**
 * The contacts the message may be from: the authenticated sender's (`byPeer`, from the peer index alone), else the
 * queue's, else every contact (trial decryption). `viaPeer: false` skips the peer index.
 */
async function candidates (ctx: CoreContext, e: InboundEnvelope, viaPeer = true): Promise<{ ids: string[], byPeer: boolean }> {
  if (viaPeer && e.from !== undefined) {
    const id = await contactIdByPeer(ctx, e.from)
    if (id !== undefined) return { ids: [id], byPeer: true }
  }
  return { ids: await fallbackCandidates(ctx, e), byPeer: false }
}

async function fallbackCandidates (ctx: CoreContext, e: InboundEnvelope): Promise<string[]> {
  if (e.queueId !== undefined) {
    const q = await ctx.store.getJson<QueueEntry>(queueKey(ctx, toBase64url(e.queueId)))
    if (q?.contactId !== undefined) return [q.contactId]
  }
  return (await ctx.store.listJson<ContactRecord>(prefixRange(PREFIX.contact))).map(c => c.value.id)
}

/**
 * Position for an incoming message with sender seq `s` (messages.ts), so that each sender's messages stay in sender
 * seq order whatever order they arrive in (reordered direct sends, mailbox races, retries after a restart):
 *  - no stored message of this sender has a higher seq: appended (next.lastPos advances); known without a scan when
 *    `s` is above next.lastInSeq;
 *  - else between its successor S (the first stored higher seq) and the message just before S, at the point given by
 *    interpolating the sender seqs of its stored neighbours, so a run of k missing messages filling one gap in ANY
 *    order fits as long as the gap holds k positions (SEQ_STEP = 1024);
 *    (interpolation keeps every gap at least as wide as the seqs still missing in it, and the ratchet's MAX_SKIP
 *    (1000) keeps that below SEQ_STEP, so the next case is a safety net, not a path the tests reach);
 *  - if no free position is left there, the message takes S's position and this sender's later messages each move
 *    up to the next one's position, the last to a new appended one (their `seq` changes, their order does not).
 * Runs under the contact's lock; the moves go into `b`, the caller's write.
 */
async function placeIncoming (ctx: CoreContext, b: StoreBatch, next: ContactRecord, s: number): Promise<number> {
  const fresh = next.lastInSeq !== undefined && s > next.lastInSeq
  next.lastInSeq = Math.max(next.lastInSeq ?? 0, s)
  if (fresh) { next.lastPos += SEQ_STEP; return next.lastPos } // the common case: nothing of theirs after it
  const range = prefixRange(`${CORE_PREFIX.senderSeq}${next.id}/`)
  const after = { gt: senderSeqKey(next.id, s), lt: range.lt }
  let succ: { seq: number, pos: number } | undefined
  for await (const { key, value } of ctx.store.iterateJson<{ pos: number }>({ ...after, limit: 1 })) succ = { seq: senderSeqOf(key), pos: value.pos }
  if (succ === undefined) { next.lastPos += SEQ_STEP; return next.lastPos }

  let prevPos = 0
  for await (const { key } of ctx.store.iterate({ gte: messagePrefix(next.id), lt: messageKey(next.id, succ.pos), reverse: true, limit: 1 })) {
    prevPos = parseMessageKey(key).seq
  }
  let prevSeq = 0
  for await (const { key } of ctx.store.iterate({ gte: range.gte, lt: senderSeqKey(next.id, s), reverse: true, limit: 1 })) prevSeq = senderSeqOf(key)
  const pos = prevPos + Math.floor((succ.pos - prevPos) * (s - prevSeq) / (succ.seq - prevSeq))
  if (pos > prevPos && pos < succ.pos) return pos

  // No room: shift this sender's later messages up by one slot each (ascending positions, ascending seqs).
  const later = await ctx.store.listJson<{ pos: number }>(after)
  const slots = [...later.map(e => e.value.pos), next.lastPos += SEQ_STEP]
  for (let i = 0; i < later.length; i++) {
    const seq = senderSeqOf(later[i].key)
    const m = await ctx.store.getJson<MessageRecord>(messageKey(next.id, slots[i]))
    if (m === undefined) continue
    const to = slots[i + 1]
    b.putJson(messageKey(next.id, to), { ...m, seq: to })
      .putJson(messageIdKey(next.id, m.id), { seq: to })
      .putJson(senderSeqKey(next.id, seq), { pos: to })
  }
  ctx.log({ msg: 'late message: later messages moved', contact: next.id, moved: later.length })
  return slots[0]
}

const senderSeqOf = (key: string): number => decodeU64(key.slice(key.lastIndexOf('/') + 1))

export async function handleMessage (ctx: CoreContext, hooks: ContactHooks, e: InboundEnvelope, msg: RatchetMessage): Promise<void> {
  let tooFarAhead: TooManySkippedError | undefined
  let { ids, byPeer } = await candidates(ctx, e)
  for (let pass = 0; pass < 2; pass++) {
    let missing = false
    for (const contactId of ids) {
      // both locks: a receipt moves statuses of outgoing messages (context.ts statusLock)
      const done = await ctx.lock.run(contactId, async () =>
        await ctx.statusLock.run(contactId, async () => await tryContact(ctx, hooks, contactId, e, msg)))
      if (done === true) return
      if (done instanceof TooManySkippedError) tooFarAhead = done
      if (done === 'missing') missing = true
    }
    // a peer index naming no stored contact (never left by this code: both go in the same batches): the queue and
    // trial decryption, as for a sender the index does not know
    if (!byPeer || !missing) break
    ;({ ids, byPeer } = await candidates(ctx, e, false))
  }
  // More than MAX_SKIP messages ahead of its chain: the earlier ones are still on their way (mailbox, retries).
  // Rejecting leaves the envelope unacknowledged (no direct ack, no relay ack), so it comes again once they arrived,
  // instead of being acknowledged and lost.
  if (tooFarAhead !== undefined) throw tooFarAhead
  ctx.log({ msg: 'undecryptable message dropped', path: e.path })
}

/** true: handled (or a duplicate); false: not this contact's; 'missing': no such contact or session. */
async function tryContact (ctx: CoreContext, hooks: ContactHooks, contactId: string, e: InboundEnvelope, msg: RatchetMessage): Promise<boolean | 'missing' | TooManySkippedError> {
  const c = await ctx.store.getJson<ContactRecord>(contactKey(contactId))
  const record = await loadSessionRecord(ctx.store, contactId)
  if (c === undefined || record === undefined) return 'missing'
  const session = record.state
  let out
  try {
    out = ratchetDecrypt(session, msg)
  } catch (err) {
    if (err instanceof DuplicateMessageError) return true // acknowledged again, nothing stored
    if (err instanceof TooManySkippedError) return err
    if (err instanceof TernError) return false
    throw err
  }
  let content: Content | undefined
  try { content = openContent(out.plaintext) } catch {}

  const b = ctx.store.batch()
  const next: ContactRecord = { ...c }
  let contactChanged = false
  if (c.state === 'pending' && c.role === 'inviter') { next.state = 'established'; contactChanged = true }
  const receiptEntries: string[] = []
  if (content !== undefined && !c.blocked) {
    if (content.type === 'text') {
      const t = content.text
      const id = toBase64url(t.id)
      const idKey = messageIdKey(contactId, id)
      const now = ctx.store.getNow(idKey) // no await on the message's path when the answer is at hand
      const known = now !== null ? now : await ctx.store.get(idKey)
      if (known === undefined) {
        const pos = await placeIncoming(ctx, b, next, t.seq)
        const m: MessageRecord = {
          id, with: contactId, seq: pos, direction: 'in', text: t.body, sentAt: t.sentAt, receivedAt: ctx.clock.now(),
          status: 'delivered', path: e.path, senderSeq: t.seq
        }
        next.unread = c.unread + 1
        contactChanged = true
        b.putJson(messageKey(contactId, pos), m)
          .putJson(messageIdKey(contactId, id), { seq: pos })
          .putJson(senderSeqKey(contactId, t.seq), { pos })
          .appendEvent('message.received', { message: toMessage(m) })
        receiptEntries.push(...queueReceipts(ctx, b, contactId, 'delivered', [{ id, senderSeq: t.seq }]))
      } else {
        // A new ciphertext of a text kept already: the sender lost its copy's state (a power cut after it left,
        // docs/node.md Durability) and its client retried with the same idempotencyKey, so the id is the same.
        // Its receipts went to the lost copy: they are sent again, so the retried copy also reaches delivered/read.
        const idx = await ctx.store.getJson<{ seq: number }>(idKey)
        const kept = idx === undefined ? undefined : await ctx.store.getJson<MessageRecord>(messageKey(contactId, idx.seq))
        const again = [{ id, senderSeq: t.seq }]
        if (kept?.direction === 'in') { // (an id of one of our own texts, echoed by the peer, gets nothing)
          receiptEntries.push(...queueReceipts(ctx, b, contactId, 'delivered', again))
          if (kept.status === 'read') receiptEntries.push(...queueReceipts(ctx, b, contactId, 'read', again))
        }
      }
    } else if (content.type === 'receipt') {
      await applyReceipt(ctx, b, contactId, content.receipt)
    } else if (content.type === 'contact_info') {
      const cap = capabilityFromInfo(content.contactInfo)
      if (cap !== null) next.theirQueue = cap
      if (!c.nameSet) next.name = cleanName(content.contactInfo.name, c.name)
      contactChanged = true
    }
  }
  putSession(b, contactId, out.state, record.reserved) // kept: the sending chain's reservation stands (sessions.ts)
  if (contactChanged) {
    b.putJson(contactKey(contactId), next)
    if (next.state !== c.state || next.name !== c.name) b.appendEvent('contact.updated', { contact: toContact(next, ctx.isOnline(c.peerId)) })
  }
  await b.write()
  // not at once: the receipts of messages arriving in the next RECEIPT_DELAY_MS go with this one (delivery.ts)
  for (const id of receiptEntries) ctx.outbox.schedule(id, ctx.timings.RECEIPT_DELAY_MS, { hold: true })
  if (next.state !== c.state) hooks.kick(contactId)
  return true
}

/**
 * Inbound ratchet messages (PROTOCOL.md §6, §10): find the contact (authenticated sender, then the queue it was
 * deposited into, then trial decryption), decrypt under the contact's lock, and store the result with the new
 * ratchet state and its event in ONE write before the Net acknowledges. Duplicates (the ratchet's duplicate error or
 * a known message id) store nothing and are acknowledged again.
 */
import { toBase64url } from '../../protocol/crypto/index.js'
import { openContent, type Content, type RatchetMessage } from '../../protocol/envelope/index.js'
import { DuplicateMessageError, ratchetDecrypt } from '../../protocol/ratchet/index.js'
import { TernError } from '../../protocol/errors.js'
import { contactKey, encodeU64, messageIdKey, messageKey, messagePrefix, parseMessageKey, prefixRange, PREFIX } from '../store/index.js'
import { CORE_PREFIX, SEQ_STEP } from './constants.js'
import { capabilityFromInfo, cleanName, toContact, type ContactRecord } from './contacts.js'
import type { CoreContext } from './context.js'
import { contactByPeer, queueKey, type ContactHooks, type QueueEntry } from './invites.js'
import { toMessage, type MessageRecord } from './messages.js'
import type { InboundEnvelope } from './net.js'
import { applyReceipt, queueReceipts } from './receipts.js'
import { loadSession, putSession } from './sessions.js'

const senderSeqKey = (contactId: string, s: number): string => `${CORE_PREFIX.senderSeq}${contactId}/${encodeU64(s)}`

async function candidates (ctx: CoreContext, e: InboundEnvelope): Promise<string[]> {
  if (e.from !== undefined) {
    const c = await contactByPeer(ctx, e.from)
    if (c !== undefined) return [c.id]
  }
  if (e.queueId !== undefined) {
    const q = await ctx.store.getJson<QueueEntry>(queueKey(ctx, toBase64url(e.queueId)))
    if (q?.contactId !== undefined) return [q.contactId]
  }
  return (await ctx.store.listJson<ContactRecord>(prefixRange(PREFIX.contact))).map(c => c.value.id)
}

/**
 * Position for an incoming message with sender seq `s` (messages.ts): between its predecessor and the first stored
 * message of this sender with a higher seq when there is one, else appended.
 */
async function positionFor (ctx: CoreContext, c: ContactRecord, s: number): Promise<number | undefined> {
  const range = prefixRange(`${CORE_PREFIX.senderSeq}${c.id}/`)
  let nextPos: number | undefined
  for await (const { value } of ctx.store.iterateJson<{ pos: number }>({ gt: senderSeqKey(c.id, s), lt: range.lt, limit: 1 })) nextPos = value.pos
  if (nextPos === undefined) return undefined
  let prevPos = 0
  for await (const { key } of ctx.store.iterate({ gte: messagePrefix(c.id), lt: messageKey(c.id, nextPos), reverse: true, limit: 1 })) {
    prevPos = parseMessageKey(key).seq
  }
  const mid = prevPos + Math.floor((nextPos - prevPos) / 2)
  return mid > prevPos && mid < nextPos ? mid : undefined
}

export async function handleMessage (ctx: CoreContext, hooks: ContactHooks, e: InboundEnvelope, msg: RatchetMessage): Promise<void> {
  for (const contactId of await candidates(ctx, e)) {
    const done = await ctx.lock.run(contactId, async () => await tryContact(ctx, hooks, contactId, e, msg))
    if (done) return
  }
  ctx.log({ msg: 'undecryptable message dropped', path: e.path })
}

async function tryContact (ctx: CoreContext, hooks: ContactHooks, contactId: string, e: InboundEnvelope, msg: RatchetMessage): Promise<boolean> {
  const c = await ctx.store.getJson<ContactRecord>(contactKey(contactId))
  const session = await loadSession(ctx.store, contactId)
  if (c === undefined || session === undefined) return false
  let out
  try {
    out = ratchetDecrypt(session, msg)
  } catch (err) {
    if (err instanceof DuplicateMessageError) return true // acknowledged again, nothing stored
    if (err instanceof TernError) return false
    throw err
  }
  let content: Content | undefined
  try { content = openContent(out.plaintext) } catch {}

  const b = putSession(ctx.store.batch(), contactId, out.state)
  const next: ContactRecord = { ...c }
  let contactChanged = false
  if (c.state === 'pending' && c.role === 'inviter') { next.state = 'established'; contactChanged = true }
  const receiptEntries: string[] = []
  if (content !== undefined && !c.blocked) {
    if (content.type === 'text') {
      const t = content.text
      const id = toBase64url(t.id)
      const known = await ctx.store.get(messageIdKey(contactId, id))
      if (known === undefined) {
        let pos = await positionFor(ctx, next, t.seq)
        if (pos === undefined) { pos = next.lastPos + SEQ_STEP; next.lastPos = pos }
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
  if (contactChanged) {
    b.putJson(contactKey(contactId), next)
    if (next.state !== c.state || next.name !== c.name) b.appendEvent('contact.updated', { contact: toContact(next, ctx.isOnline(c.peerId)) })
  }
  await b.write()
  for (const id of receiptEntries) ctx.outbox.schedule(id)
  if (next.state !== c.state) hooks.kick(contactId)
  return true
}

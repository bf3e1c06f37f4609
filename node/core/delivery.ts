/**
 * One delivery attempt of an outbox entry (PROTOCOL.md §10): build the envelope once (encrypting under the contact's
 * session), try the peer directly within UNREACHABLE_AFTER_MS + ACK_TIMEOUT_MS, and on failure deposit into the
 * peer's mailbox queue once; then retry directly with exponential backoff until the entry is done. Message statuses
 * move forward only: queued → sent (direct|relayed) → mailbox → delivered → read.
 */
import { fromBase64url, toBase64url } from '../../protocol/crypto/index.js'
import { encodeEnvelope, sealContent, type Content } from '../../protocol/envelope/index.js'
import { ratchetEncrypt } from '../../protocol/ratchet/index.js'
import { contactKey, messageKey, outboxKey } from '../store/index.js'
import { loadCapability, makeContactInfo, type ContactRecord } from './contacts.js'
import type { CoreContext } from './context.js'
import { advances, statusEvent, type MessagePath, type MessageRecord, type MessageStatus } from './messages.js'
import type { DirectPath } from './net.js'
import { backoff, loadEntry, type OutboxEntry } from './outbox.js'
import { loadSession, putSession } from './sessions.js'

/** Builds and stores the entry's envelope if it has none yet. Returns the entry, or undefined if it must wait. */
async function ensureEnvelope (ctx: CoreContext, id: string): Promise<OutboxEntry | undefined> {
  const first = await loadEntry(ctx.store, id)
  if (first === undefined || first.envelope !== null) return first
  return await ctx.lock.run(first.contactId, async () => {
    const entry = await loadEntry(ctx.store, id)
    if (entry === undefined || entry.envelope !== null) return entry
    const contact = await ctx.store.getJson<ContactRecord>(contactKey(entry.contactId))
    const session = await loadSession(ctx.store, entry.contactId)
    if (contact === undefined || session === undefined) return undefined // waits for the handshake (kick)
    let content: Content
    if (entry.kind === 'text') {
      const m = await ctx.store.getJson<MessageRecord>(messageKey(entry.contactId, entry.seq as number))
      if (m === undefined) { await ctx.store.del(outboxKey(id)); return undefined }
      content = { type: 'text', text: { id: fromBase64url(m.id), seq: m.senderSeq, sentAt: m.sentAt, body: m.text } }
    } else if (entry.kind === 'receipt' && entry.receipt !== undefined) {
      const r = entry.receipt
      content = { type: 'receipt', receipt: { kind: r.kind, ids: r.ids.map(fromBase64url), seqs: r.seqs } }
    } else if (entry.kind === 'info') {
      content = { type: 'contact_info', contactInfo: makeContactInfo(ctx.myName(), contact.myQueue) }
    } else {
      return undefined // request/accept entries are built with their envelope
    }
    const { state, message } = ratchetEncrypt(session, sealContent(content), ctx.rng)
    const built: OutboxEntry = { ...entry, envelope: toBase64url(encodeEnvelope({ type: 'message', message })) }
    await putSession(ctx.store.batch(), entry.contactId, state).putJson(outboxKey(id), built).write()
    return built
  })
}

/** Moves a message's status forward (no-op otherwise), optionally deleting the outbox entry in the same write. */
export async function advanceMessage (ctx: CoreContext, contactId: string, seq: number, status: MessageStatus,
  path: MessagePath | null, opts: { deleteEntry?: string, failure?: string } = {}): Promise<MessageRecord | undefined> {
  return await ctx.lock.run(contactId, async () => {
    const m = await ctx.store.getJson<MessageRecord>(messageKey(contactId, seq))
    const b = ctx.store.batch()
    if (opts.deleteEntry !== undefined) b.del(outboxKey(opts.deleteEntry))
    let out: MessageRecord | undefined
    if (m !== undefined && advances(m.status, status)) {
      out = { ...m, status, path: path ?? m.path }
      if (status === 'failed') out.failure = opts.failure ?? 'failed'
      b.putJson(messageKey(contactId, seq), out).appendEvent('message.status', statusEvent(out))
    }
    if (b.length > 0) await b.write()
    return out
  })
}

async function finish (ctx: CoreContext, entry: OutboxEntry, path: DirectPath | 'mailbox'): Promise<void> {
  if (entry.kind === 'text') {
    const status: MessageStatus = path === 'mailbox' ? 'mailbox' : 'sent'
    if (path === 'mailbox') {
      await advanceMessage(ctx, entry.contactId, entry.seq as number, status, 'mailbox')
      await ctx.lock.run(entry.contactId, async () => {
        const cur = await loadEntry(ctx.store, entry.id)
        if (cur !== undefined) await ctx.store.putJson(outboxKey(entry.id), { ...cur, deposited: true })
      })
    } else {
      await advanceMessage(ctx, entry.contactId, entry.seq as number, status, path, { deleteEntry: entry.id })
    }
    return
  }
  await ctx.lock.run(entry.contactId, async () => { await ctx.store.del(outboxKey(entry.id)) })
}

/** One attempt; reschedules itself while the entry is not done. */
export async function attemptDelivery (ctx: CoreContext, id: string): Promise<void> {
  const entry = await ensureEnvelope(ctx, id)
  if (entry === undefined || entry.envelope === null) return
  const contact = await ctx.store.getJson<ContactRecord>(contactKey(entry.contactId))
  if (contact === undefined) { await ctx.store.del(outboxKey(id)); return }
  if (contact.blocked || contact.state === 'rejected') return // paused; unblock kicks it again
  const envelope = fromBase64url(entry.envelope)
  const t = ctx.timings

  const d = ctx.deadline(t.UNREACHABLE_AFTER_MS + t.ACK_TIMEOUT_MS)
  try {
    const hint = entry.hint ?? contact.theirQueue?.relayAddrs ?? []
    const r = await ctx.net.sendDirect(contact.peerId, envelope, { signal: d.signal, relayAddrs: hint })
    d.done()
    await finish(ctx, entry, r.path)
    ctx.log({ msg: 'delivered direct', entry: id, kind: entry.kind, path: r.path })
    return
  } catch (err) {
    d.done()
    ctx.log({ msg: 'direct failed', entry: id, kind: entry.kind, code: (err as { code?: string })?.code })
  }

  const cap = entry.cap !== undefined ? entry.cap : contact.theirQueue
  let current = entry
  if (!entry.deposited && cap !== null && cap !== undefined) {
    const m = ctx.deadline(t.MAILBOX_TIMEOUT_MS)
    try {
      await ctx.net.deposit(loadCapability(cap), envelope, { signal: m.signal })
      m.done()
      await finish(ctx, entry, 'mailbox')
      ctx.log({ msg: 'deposited', entry: id, kind: entry.kind })
      if (entry.kind !== 'text') return
      current = { ...entry, deposited: true }
    } catch (err) {
      m.done()
      ctx.log({ msg: 'deposit failed', entry: id, kind: entry.kind, code: (err as { code?: string })?.code })
    }
  }
  // Retry directly (a text in a mailbox too, until its delivery receipt): count the attempt durably.
  const attempts = await ctx.lock.run(entry.contactId, async () => {
    const cur = await loadEntry(ctx.store, id)
    if (cur === undefined) return -1
    const next = { ...cur, deposited: cur.deposited || current.deposited, attempts: cur.attempts + 1 }
    await ctx.store.putJson(outboxKey(id), next)
    return next.attempts
  })
  if (attempts > 0) ctx.outbox.schedule(id, backoff(t, attempts))
}

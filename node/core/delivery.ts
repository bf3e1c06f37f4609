/**
 * One delivery attempt of an outbox entry (PROTOCOL.md §10): build the envelope once (encrypting under the contact's
 * session), try the peer directly within UNREACHABLE_AFTER_MS + ACK_TIMEOUT_MS, and on failure deposit into the
 * peer's mailbox queue once; then retry directly with exponential backoff until the entry is done. Message statuses
 * move forward only: queued → sent (direct|relayed) → mailbox → delivered → read.
 */
import { fromBase64url, toBase64url } from '../../protocol/crypto/index.js'
import { encodeEnvelope, sealContent, type Content } from '../../protocol/envelope/index.js'
import { ratchetEncrypt, type RatchetState } from '../../protocol/ratchet/index.js'
import { contactKey, messageKey, outboxKey, type StoreBatch } from '../store/index.js'
import { LAZY_WRITE, RECEIPT_BATCH } from './constants.js'
import { loadCapability, makeContactInfo, type ContactRecord } from './contacts.js'
import type { CoreContext } from './context.js'
import { advances, statusEvent, type MessagePath, type MessageRecord, type MessageStatus } from './messages.js'
import type { DirectPath } from './net.js'
import { backoff, listEntries, loadEntry, type OutboxEntry, type StoredReceipt } from './outbox.js'
import { loadSessionRecord, putSession, reserveNext, sendable } from './sessions.js'

/** The Text content of an outgoing message (its wire id, sender seq, time and body). */
export function textContent (m: MessageRecord): Content {
  return { type: 'text', text: { id: fromBase64url(m.id), seq: m.senderSeq, sentAt: m.sentAt, body: m.text } }
}

export function receiptContent (r: StoredReceipt): Content {
  return { type: 'receipt', receipt: { kind: r.kind, ids: r.ids.map(fromBase64url), seqs: r.seqs } }
}

/**
 * Encrypts one content under the session (advancing its sending chain) and returns the new state with the envelope
 * (base64url). The caller writes the state and the envelope in ONE batch, durably, with the next key's reservation
 * (sessions.ts), and starts from sendable()'s state: an envelope must never leave the node while no durable record
 * says its key may have been used, or the next message could reuse its message key after a power cut.
 */
export function sealEnvelope (session: RatchetState, content: Content, rng: CoreContext['rng']): { state: RatchetState, envelope: string, bytes: Uint8Array } {
  const { state, message } = ratchetEncrypt(session, sealContent(content), rng)
  const bytes = encodeEnvelope({ type: 'message', message })
  return { state, envelope: toBase64url(bytes), bytes }
}

/**
 * A text's first attempt as send() hands it over (Outbox.schedule's `primed`), with what it has just written: the
 * entry (its envelope included), the envelope's bytes and the contact record. The attempt then starts without
 * reading back and decoding what was just written (~0.1 ms of a message's path on a cold daemon, measured on the
 * node bench). Only an attempt started at once gets it, so it is never older than the store's copy.
 */
export interface PrimedAttempt { entry: OutboxEntry, envelope: Uint8Array, contact: ContactRecord }

async function contentOf (ctx: CoreContext, entry: OutboxEntry, contact: ContactRecord): Promise<Content | null | undefined> {
  if (entry.kind === 'text') {
    const m = await ctx.store.getJson<MessageRecord>(messageKey(entry.contactId, entry.seq as number))
    return m === undefined ? null : textContent(m)
  }
  if (entry.kind === 'receipt' && entry.receipt !== undefined) return receiptContent(entry.receipt)
  if (entry.kind === 'info') return { type: 'contact_info', contactInfo: makeContactInfo(ctx.myName(), contact.myQueue) }
  return undefined // request/accept entries are built with their envelope
}

/**
 * Builds and stores the entry's envelope if it has none yet. Returns the entry, or undefined if it must wait.
 * Texts are normally encrypted by send() itself; one queued before the session existed is built here, and every
 * earlier text of the contact still without an envelope is built first, in seq order, in the same write, so the
 * ratchet order of a contact's texts always equals their seq order whatever order the outbox resumes them in.
 */
async function ensureEnvelope (ctx: CoreContext, id: string): Promise<OutboxEntry | undefined> {
  const first = await loadEntry(ctx.store, id)
  if (first === undefined || first.envelope !== null) return first
  return await ctx.lock.run(first.contactId, async () => {
    const entry = await loadEntry(ctx.store, id)
    if (entry === undefined || entry.envelope !== null) return entry
    const contact = await ctx.store.getJson<ContactRecord>(contactKey(entry.contactId))
    const record = await loadSessionRecord(ctx.store, entry.contactId)
    if (contact === undefined || record === undefined) return undefined // waits for the handshake (kick)
    // durable before it is sent (the attempt reads it back): the next key need not be reserved
    const from = sendable(record, ctx.run)
    let session = from.state
    const b = ctx.store.batch()
    // past another run's reserved key: past the sender seq its text may have had too (sessions.ts)
    if (from.skipped) b.putJson(contactKey(contact.id), { ...contact, lastOutSeq: contact.lastOutSeq + 1 })
    if (entry.kind === 'receipt' && entry.receipt !== undefined) return await buildReceipts(ctx, entry, session, b)
    const todo = entry.kind !== 'text'
      ? [entry]
      : inSeqOrder((await listEntries(ctx.store)).filter(e => e.contactId === entry.contactId && e.kind === 'text' &&
          e.envelope === null && (e.seq as number) <= (entry.seq as number)))
    let built: OutboxEntry | undefined
    for (const e of todo) {
      const content = await contentOf(ctx, e, contact)
      if (content === null) { b.del(outboxKey(e.id)); continue }
      if (content === undefined) continue
      const sealed = sealEnvelope(session, content, ctx.rng)
      session = sealed.state
      const next: OutboxEntry = { ...e, envelope: sealed.envelope }
      b.putJson(outboxKey(e.id), next)
      if (e.id === id) built = next
    }
    if (b.length === 0) return undefined
    await putSession(b, entry.contactId, session, reserveNext(session, ctx.run)).write()
    return built
  })
}

/**
 * Seals `entry` together with every other unsealed receipt of the same contact and kind (receipts wait
 * RECEIPT_DELAY_MS before their first attempt, so those of a burst of messages are all here), in ONE write: a ratchet
 * message carries up to RECEIPT_BATCH ids, so a burst costs one encryption (often a DH step), one durable write and
 * one round trip instead of one per message. Entries are packed whole, oldest first, after `entry`; each packed
 * receipt is stored under the id of its first entry (the first under `entry.id`, returned), the others are deleted,
 * and the packed receipts beyond the first are scheduled here. Runs under the contact's lock.
 */
async function buildReceipts (ctx: CoreContext, entry: OutboxEntry, session: RatchetState, b: StoreBatch): Promise<OutboxEntry> {
  const kind = (entry.receipt as StoredReceipt).kind
  const others = (await listEntries(ctx.store))
    .filter(e => e.contactId === entry.contactId && e.kind === 'receipt' && e.envelope === null && e.id !== entry.id &&
      e.receipt?.kind === kind)
    .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
  const packed: OutboxEntry[] = []
  for (const e of [entry, ...others]) {
    const r = e.receipt as StoredReceipt
    const last = packed[packed.length - 1]
    const room = last === undefined ? 0 : RECEIPT_BATCH - (last.receipt as StoredReceipt).ids.length
    if (last !== undefined && r.ids.length <= room && r.seqs.length <= RECEIPT_BATCH - (last.receipt as StoredReceipt).seqs.length) {
      const lr = last.receipt as StoredReceipt
      last.receipt = { kind, ids: [...lr.ids, ...r.ids], seqs: [...lr.seqs, ...r.seqs] }
      b.del(outboxKey(e.id))
    } else {
      packed.push({ ...e, receipt: { kind, ids: [...r.ids], seqs: [...r.seqs] } })
    }
  }
  let state = session
  const sealed = packed.map(p => {
    const s = sealEnvelope(state, receiptContent(p.receipt as StoredReceipt), ctx.rng)
    state = s.state
    const next: OutboxEntry = { ...p, envelope: s.envelope }
    b.putJson(outboxKey(p.id), next)
    return next
  })
  await putSession(b, entry.contactId, state, reserveNext(state, ctx.run)).write()
  for (const p of sealed.slice(1)) ctx.outbox.schedule(p.id)
  return sealed[0] as OutboxEntry
}

function inSeqOrder (entries: OutboxEntry[]): OutboxEntry[] {
  return [...entries].sort((a, b) => (a.seq as number) - (b.seq as number))
}

/**
 * Adds an outbox entry with its envelope already built (send()) to `b`; returns the new session state, the entry as
 * written and the envelope's bytes.
 */
export function putSealedEntry (b: StoreBatch, entry: OutboxEntry, session: RatchetState, content: Content,
  rng: CoreContext['rng']): { state: RatchetState, entry: OutboxEntry, envelope: Uint8Array } {
  const sealed = sealEnvelope(session, content, rng)
  const written: OutboxEntry = { ...entry, envelope: sealed.envelope }
  b.putJson(outboxKey(entry.id), written)
  return { state: sealed.state, entry: written, envelope: sealed.bytes }
}

/**
 * Adds to `b` the move of an outgoing message's status to `status` (with its event), if that is a move forward;
 * returns the new record, or undefined when there is nothing to move. The caller holds the status lock (context.ts).
 */
export async function stageStatus (ctx: CoreContext, b: StoreBatch, contactId: string, seq: number, status: MessageStatus,
  path: MessagePath | null): Promise<MessageRecord | undefined> {
  const m = await ctx.store.getJson<MessageRecord>(messageKey(contactId, seq))
  if (m === undefined || !advances(m.status, status)) return undefined
  const out: MessageRecord = { ...m, status, path: path ?? m.path }
  b.putJson(messageKey(contactId, seq), out).appendEvent('message.status', statusEvent(out))
  return out
}

/** Moves an outgoing message's status forward (no-op otherwise) in a lazy write of its own, under the status lock. */
export async function advanceMessage (ctx: CoreContext, contactId: string, seq: number, status: MessageStatus,
  path: MessagePath | null): Promise<MessageRecord | undefined> {
  return await ctx.statusLock.run(contactId, async () => {
    const b = ctx.store.batch()
    const out = await stageStatus(ctx, b, contactId, seq, status, path)
    if (b.length > 0) await b.write(LAZY_WRITE)
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
        if (cur !== undefined) await ctx.store.batch().putJson(outboxKey(entry.id), { ...cur, deposited: true }).write(LAZY_WRITE)
      })
    } else {
      ctx.sent.add(entry.contactId, entry.seq as number, path, entry.id)
    }
    return
  }
  await ctx.lock.run(entry.contactId, async () => { await ctx.store.batch().del(outboxKey(entry.id)).write(LAZY_WRITE) })
}

/** One attempt; reschedules itself while the entry is not done. */
export async function attemptDelivery (ctx: CoreContext, id: string, primed?: PrimedAttempt): Promise<void> {
  const entry = primed?.entry ?? await ensureEnvelope(ctx, id)
  if (entry === undefined || entry.envelope === null) return
  const contact = primed?.contact ?? await ctx.store.getJson<ContactRecord>(contactKey(entry.contactId))
  if (contact === undefined) { await ctx.store.del(outboxKey(id)); return }
  if (contact.blocked || contact.state === 'rejected') return // paused; unblock kicks it again
  const envelope = primed?.envelope ?? fromBase64url(entry.envelope)
  const t = ctx.timings

  const d = ctx.deadline(t.UNREACHABLE_AFTER_MS + t.ACK_TIMEOUT_MS)
  try {
    const hint = entry.hint ?? contact.theirQueue?.relayAddrs ?? []
    const r = await ctx.net.sendDirect(contact.peerId, envelope, { signal: d.signal, relayAddrs: hint })
    d.done()
    // no log line for a success (one per message: a write to stdout and a wake-up of whoever reads it); the
    // message's status says it, failures and deposits are logged below
    await finish(ctx, entry, r.path)
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
    await ctx.store.batch().putJson(outboxKey(id), next).write(LAZY_WRITE)
    return next.attempts
  })
  if (attempts > 0) ctx.outbox.schedule(id, backoff(t, attempts))
}

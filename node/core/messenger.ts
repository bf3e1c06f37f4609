/**
 * The messenger's delivery core: contacts, invites, sessions and history over a Store, driven through a Net (net.ts).
 * No libp2p, no sockets. Every state change is written (with its event) before anything depends on it leaving the
 * node; the outbox resumes on start, so a crash loses nothing accepted and the receiver's de-duplication means
 * nothing is shown twice (PROTOCOL.md §10).
 */
import { toBase64url, utf8, type Rng } from '../../protocol/crypto/index.js'
import { decodeEnvelope, MAX_TEXT_BYTES } from '../../protocol/envelope/index.js'
import {
  fingerprint, formatFingerprint, formatSafetyNumber, identityPublic, peerIdStringFromIdentity, safetyNumber,
  type IdentityKeyPair
} from '../../protocol/identity/index.js'
import { TernError } from '../../protocol/errors.js'
import {
  contactKey, messageIdKey, messageKey, messagePrefix, newId, outboxKey, prefixRange, PREFIX, type Store
} from '../store/index.js'
import { systemClock, type Clock } from './clock.js'
import { CORE_PREFIX, DEFAULT_TIMINGS, LAZY_WRITE, SEQ_STEP, type Timings } from './constants.js'
import { cleanName, recordIdentity, toContact, type Contact, type ContactRecord } from './contacts.js'
import type { CoreContext } from './context.js'
import { attemptDelivery, putSealedEntry, textContent, type PrimedAttempt } from './delivery.js'
import { BlockedError, InvalidParamsError, MessageTooLargeError, MessengerStoppedError, UnknownContactError } from './errors.js'
import * as invites from './invites.js'
import { statusEvent, toMessage, type Message, type MessageRecord } from './messages.js'
import type { InboundEnvelope, Net } from './net.js'
import { inDeliveryOrder, listEntries, Outbox, type OutboxEntry } from './outbox.js'
import { queueReceipts } from './receipts.js'
import { handleMessage } from './receive.js'
import { SentQueue } from './sent-queue.js'
import { KeyedLock, loadSessionRecord, putSession, reserveNext, sendable } from './sessions.js'

export interface MessengerInit {
  store: Store
  identity: IdentityKeyPair
  net: Net
  rng: Rng
  name: string
  clock?: Clock
  timings?: Partial<Timings>
  log?: (obj: Record<string, unknown>) => void
}

/** Default and largest page of listMessages (= node/rpc/methods.ts). */
const DEFAULT_LIST_LIMIT = 50
const MAX_LIST_LIMIT = 500

export class Messenger {
  readonly peerId: string
  readonly fingerprint: string
  name: string
  private readonly ctx: CoreContext
  private readonly hooks: invites.ContactHooks
  /** live deadlines (ctx.deadline), aborted by stop() */
  private readonly deadlines = new Set<AbortController>()
  private started = false
  private stopping = false
  private stopped = false
  private handlersRegistered = false

  private constructor (init: MessengerInit) {
    this.name = cleanName(init.name, 'me')
    this.peerId = peerIdStringFromIdentity(init.identity.signing.publicKey)
    this.fingerprint = formatFingerprint(fingerprint(identityPublic(init.identity)))
    const clock = init.clock ?? systemClock
    const log = init.log ?? (() => {})
    const lock = new KeyedLock()
    const statusLock = new KeyedLock()
    const ctx: CoreContext = {
      store: init.store,
      net: init.net,
      rng: init.rng,
      run: toBase64url(init.rng(12)),
      clock,
      timings: { ...DEFAULT_TIMINGS, ...init.timings },
      identity: init.identity,
      lock,
      statusLock,
      outbox: undefined as unknown as Outbox<PrimedAttempt>,
      sent: undefined as unknown as SentQueue,
      myName: () => this.name,
      log,
      isOnline: (peerId) => { try { return init.net.isConnected(peerId) } catch { return false } },
      deadline: (ms) => {
        // No listener on a shared signal per attempt (hundreds may be in flight): stop() aborts the live set.
        const ac = new AbortController()
        if (this.stopped) { ac.abort(new MessengerStoppedError()); return { signal: ac.signal, done: () => {} } }
        const timer = clock.setTimeout(() => ac.abort(new TernError('ERR_TIMEOUT', 'deadline')), ms)
        this.deadlines.add(ac)
        return {
          signal: ac.signal,
          done: () => { clock.clearTimeout(timer); this.deadlines.delete(ac) }
        }
      }
    }
    ctx.outbox = new Outbox<PrimedAttempt>(clock, async (id, primed) => { await attemptDelivery(ctx, id, primed) }, log)
    ctx.sent = new SentQueue(ctx)
    this.ctx = ctx
    this.hooks = {
      contactsChanged: () => { void this.announceContacts() },
      kick: (contactId) => { void this.kick(contactId) }
    }
  }

  static async open (init: MessengerInit): Promise<Messenger> {
    return new Messenger(init)
  }

  /** Registers the Net handlers, tells it the contacts and resumes every outbox entry. Idempotent. */
  async start (): Promise<void> {
    if (this.stopped) throw new MessengerStoppedError()
    if (this.started) return
    this.started = true
    const { net } = this.ctx
    if (!this.handlersRegistered) {
      this.handlersRegistered = true
      net.onEnvelope(async (e) => { await this.handleEnvelope(e) })
      net.onPresence((peerId, online) => { void this.handlePresence(peerId, online) })
    }
    this.ctx.outbox.start()
    await this.announceContacts()
    for (const e of inDeliveryOrder(await listEntries(this.ctx.store))) this.ctx.outbox.schedule(e.id)
  }

  /**
   * Sends the receipts still held back (RECEIPT_DELAY_MS), waiting up to STOP_FLUSH_MS: the connection that brought
   * their messages is most likely still open, and otherwise they would wait for the next start (and the sender's
   * "delivered" with them). Then stops timers and waits for in-flight attempts and store writes. The store stays
   * open (the caller owns it).
   */
  async stop (): Promise<void> {
    if (this.stopped || this.stopping) return
    this.stopping = true
    if (this.started) await this.ctx.outbox.runHeld(this.ctx.timings.STOP_FLUSH_MS)
    this.stopped = true
    for (const ac of this.deadlines) ac.abort(new MessengerStoppedError())
    this.deadlines.clear()
    await this.ctx.outbox.stop()
    await this.ctx.sent.flush()
    await this.ctx.lock.idle()
    await this.ctx.statusLock.idle()
  }

  /** Writes the queued "sent" status moves now (sent-queue.ts); for tests and tools that read statuses at once. */
  async flushSent (): Promise<void> { await this.ctx.sent.flush() }

  // ---- contacts

  async createInvite (p: { expiresInSeconds?: number } = {}): Promise<{ invite: string, expiresAt: number }> {
    this.check()
    return await invites.createInvite(this.ctx, p)
  }

  async addContact (p: { invite: string, name?: string }): Promise<Contact> {
    this.check()
    return this.view(await invites.addContact(this.ctx, this.hooks, p))
  }

  async listContacts (): Promise<Contact[]> {
    const list = await this.ctx.store.listJson<ContactRecord>(prefixRange(PREFIX.contact))
    return list.map(e => this.view(e.value)).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
  }

  async getContact (id: string): Promise<Contact> { return this.view(await this.record(id)) }

  async renameContact (id: string, name: string): Promise<Contact> {
    const n = cleanName(name, '')
    if (n === '') throw new InvalidParamsError('name: expected 1..64 bytes')
    return await this.updateContact(id, c => ({ ...c, name: n, nameSet: true }))
  }

  async blockContact (id: string): Promise<Contact> { return await this.updateContact(id, c => ({ ...c, blocked: true })) }

  async unblockContact (id: string): Promise<Contact> {
    const c = await this.updateContact(id, c => ({ ...c, blocked: false }))
    void this.kick(id)
    return c
  }

  async verifyContact (id: string): Promise<Contact> { return await this.updateContact(id, c => ({ ...c, verified: true })) }

  async safetyNumber (id: string): Promise<string> {
    const c = await this.record(id)
    return formatSafetyNumber(safetyNumber(identityPublic(this.ctx.identity), recordIdentity(c)))
  }

  /** Deletes the contact, its session, its messages and its outbox; undelivered texts are reported failed first. */
  async removeContact (id: string): Promise<void> {
    const { store } = this.ctx
    const queue = await this.ctx.lock.run(id, async () => await this.ctx.statusLock.run(id, async () => {
      const c = await this.record(id)
      const b = store.batch()
      for (const { key, value } of await store.listJson<MessageRecord>(prefixRange(messagePrefix(id)))) {
        if (value.direction === 'out' && ['queued', 'sent', 'mailbox'].includes(value.status)) {
          b.appendEvent('message.status', statusEvent({ ...value, status: 'failed', failure: 'contact removed' }))
        }
        b.del(key)
      }
      for (const prefix of [`${PREFIX.messageId}${id}/`, `${CORE_PREFIX.senderSeq}${id}/`]) {
        for await (const { key } of store.iterate(prefixRange(prefix))) b.del(key)
      }
      for (const e of await listEntries(store)) if (e.contactId === id) b.del(outboxKey(e.id))
      b.del(contactKey(id)).del(invites.peerKey(this.ctx, c.peerId)).del(`${PREFIX.session}${id}`)
      if (c.myQueue !== null) b.del(invites.queueKey(this.ctx, c.myQueue.queueId))
      if (c.requestTag !== null) b.del(invites.requestKey(this.ctx, c.requestTag))
      await b.write()
      return c.myQueue
    }))
    if (queue !== null) {
      const d = this.ctx.deadline(this.ctx.timings.MAILBOX_TIMEOUT_MS)
      this.ctx.net.deleteQueue(Buffer.from(queue.queueId, 'base64url'), { signal: d.signal }).catch(() => {}).finally(d.done)
    }
    await this.announceContacts()
  }

  // ---- messages

  /**
   * Queues a text: message (status queued), outbox entry, idempotency index and event in ONE durable write, then
   * delivery starts at once. When the session exists the text is encrypted here, under the contact's lock that also
   * allocates its seq, and the envelope is stored in the entry with the advanced ratchet state: the ratchet order of a
   * contact's texts is therefore their seq order, and an attempt needs no write before it goes on the wire.
   * When the message key is reserved (sessions.ts), the write's fsync is deferred: the attempt starts once the write
   * is in the kernel (it survives a kill of the daemon then) and the envelope leaves while the fsync runs; send()
   * resolves only after it. Otherwise the write is fsync'd first.
   * A repeated idempotencyKey returns the first message; the message id is derived from it (blinded), so a text the
   * client sends again after a power cut that lost it here, though it had left, keeps its id and the receiver keeps
   * one copy.
   */
  async send (p: { to: string, text: string, idempotencyKey?: string }): Promise<Message> {
    this.check()
    if (typeof p.text !== 'string' || p.text.length === 0) throw new InvalidParamsError('text: expected a non-empty string')
    const bytes = utf8(p.text).length
    if (bytes > MAX_TEXT_BYTES) throw new MessageTooLargeError(bytes, MAX_TEXT_BYTES)
    const { store } = this.ctx
    const ikKey = p.idempotencyKey === undefined ? undefined : CORE_PREFIX.idempotency + store.blind('idempotency', p.idempotencyKey)
    const m = await this.ctx.lock.run(p.to, async () => {
      if (ikKey !== undefined) {
        const prior = await store.getJson<{ contactId: string, seq: number }>(ikKey)
        if (prior !== undefined) {
          const pm = await store.getJson<MessageRecord>(messageKey(prior.contactId, prior.seq))
          // its write may still wait for its fsync: answered once that is done, as its first send() is
          if (pm !== undefined) return { m: pm, fresh: false, durable: store.durableSoFar() }
        }
      }
      const c = await this.record(p.to)
      if (c.blocked) throw new BlockedError(c.id)
      const record = c.state === 'rejected' ? undefined : await loadSessionRecord(store, c.id)
      const from = record === undefined ? undefined : sendable(record, this.ctx.run)
      const seq = c.lastPos + SEQ_STEP
      const now = this.ctx.clock.now()
      const m: MessageRecord = {
        id: p.idempotencyKey === undefined ? newId(this.ctx.rng) : store.blind('message-id', `${c.id}\0${p.idempotencyKey}`), with: c.id, seq, direction: 'out', text: p.text, sentAt: now, receivedAt: null,
        // past another run's reserved key, past the sender seq its text may have had too (sessions.ts)
        status: 'queued', path: null, senderSeq: c.lastOutSeq + (from?.skipped === true ? 2 : 1)
      }
      if (c.state === 'rejected') { m.status = 'failed'; m.failure = 'contact request rejected' }
      const contact: ContactRecord = { ...c, lastPos: seq, lastOutSeq: m.senderSeq }
      const b = store.batch()
        .putJson(messageKey(c.id, seq), m)
        .putJson(messageIdKey(c.id, m.id), { seq })
        .putJson(contactKey(c.id), contact)
        .appendEvent('message.status', statusEvent(m))
      let primed: PrimedAttempt | undefined
      let early = false
      if (m.status === 'queued') {
        const entry: OutboxEntry = { id: m.id, contactId: c.id, kind: 'text', seq, envelope: null, deposited: false, attempts: 0, createdAt: now }
        if (from === undefined) {
          b.putJson(outboxKey(m.id), entry) // built by the outbox once the session exists
        } else {
          early = from.early
          const sealed = putSealedEntry(b, entry, from.state, textContent(m), this.ctx.rng)
          putSession(b, c.id, sealed.state, reserveNext(sealed.state, this.ctx.run))
          primed = { entry: sealed.entry, envelope: sealed.envelope, contact }
        }
      }
      if (ikKey !== undefined) b.putJson(ikKey, { contactId: c.id, seq })
      const { durable } = await b.write(early ? { deferSync: true } : undefined)
      return { m, fresh: true, primed, durable }
    })
    if (m.fresh && m.m.status === 'queued') this.ctx.outbox.schedule(m.m.id, 0, m.primed === undefined ? {} : { primed: m.primed })
    await m.durable
    return toMessage(m.m)
  }

  /** A page of the conversation, oldest first: the `limit` messages with seq < `before` (default: the newest). */
  async listMessages (p: { with: string, before?: number, limit?: number }): Promise<Message[]> {
    await this.record(p.with)
    const limit = Math.min(Math.max(1, Math.floor(p.limit ?? DEFAULT_LIST_LIMIT)), MAX_LIST_LIMIT)
    const range = prefixRange(messagePrefix(p.with))
    const lt = p.before !== undefined ? messageKey(p.with, Math.max(0, Math.floor(p.before))) : range.lt
    const page = await this.ctx.store.listJson<MessageRecord>({ gte: range.gte, lt, reverse: true, limit })
    return page.reverse().map(e => toMessage(e.value))
  }

  /** Marks incoming messages with seq ≤ upTo read and queues read receipts for them. */
  async markRead (p: { with: string, upTo: number }): Promise<{ updated: number }> {
    const { store } = this.ctx
    const { updated, entries } = await this.ctx.lock.run(p.with, async () => {
      const c = await this.record(p.with)
      const range = prefixRange(messagePrefix(p.with))
      const b = store.batch()
      const read: MessageRecord[] = []
      for await (const { key, value } of store.iterateJson<MessageRecord>({ gte: range.gte, lte: messageKey(p.with, Math.max(0, p.upTo)) })) {
        if (value.direction !== 'in' || value.status === 'read') continue
        const next: MessageRecord = { ...value, status: 'read' }
        b.putJson(key, next).appendEvent('message.status', statusEvent(next))
        read.push(next)
      }
      if (read.length === 0) return { updated: 0, entries: [] }
      const next: ContactRecord = { ...c, unread: Math.max(0, c.unread - read.length) }
      b.putJson(contactKey(c.id), next).appendEvent('contact.updated', { contact: this.view(next) })
      const entries = c.blocked ? [] : queueReceipts(this.ctx, b, c.id, 'read', read)
      await b.write()
      return { updated: read.length, entries }
    })
    for (const id of entries) this.ctx.outbox.schedule(id)
    return { updated }
  }

  // ---- internals

  private check (): void { if (this.stopped) throw new MessengerStoppedError() }

  private view (c: ContactRecord): Contact { return toContact(c, this.ctx.isOnline(c.peerId)) }

  private async record (id: string): Promise<ContactRecord> {
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(id)) throw new UnknownContactError(String(id))
    const c = await this.ctx.store.getJson<ContactRecord>(contactKey(id))
    if (c === undefined) throw new UnknownContactError(id)
    return c
  }

  private async updateContact (id: string, fn: (c: ContactRecord) => ContactRecord): Promise<Contact> {
    return await this.ctx.lock.run(id, async () => {
      const next = fn(await this.record(id))
      await this.ctx.store.batch().putJson(contactKey(id), next).appendEvent('contact.updated', { contact: this.view(next) }).write()
      return this.view(next)
    })
  }

  private async announceContacts (): Promise<void> {
    const list = await this.ctx.store.listJson<ContactRecord>(prefixRange(PREFIX.contact))
    try { this.ctx.net.setContacts(list.map(e => e.value.peerId)) } catch {}
  }

  /** Retries every outbox entry of a contact now (session established, peer online, unblocked). */
  private async kick (contactId: string): Promise<void> {
    for (const e of inDeliveryOrder(await listEntries(this.ctx.store))) if (e.contactId === contactId) this.ctx.outbox.schedule(e.id)
  }

  private async handlePresence (peerId: string, online: boolean): Promise<void> {
    if (this.stopped) return
    const c = await invites.contactByPeer(this.ctx, peerId)
    if (c === undefined) return
    const now = this.ctx.clock.now()
    await this.ctx.lock.run(c.id, async () => {
      const cur = await this.ctx.store.getJson<ContactRecord>(contactKey(c.id))
      if (cur === undefined) return
      const next = { ...cur, lastSeen: now }
      await this.ctx.store.batch().putJson(contactKey(c.id), next)
        .appendEvent('contact.presence', { id: c.id, online, lastSeen: now }).write(LAZY_WRITE)
    })
    if (online) await this.kick(c.id)
  }

  /** THE inbound handler: resolves when the envelope may be acknowledged (processed durably, or worthless). */
  private async handleEnvelope (e: InboundEnvelope): Promise<void> {
    if (this.stopped) throw new MessengerStoppedError()
    let env
    try { env = decodeEnvelope(e.envelope) } catch (err) {
      this.ctx.log({ msg: 'bad envelope dropped', code: (err as { code?: string }).code })
      return
    }
    try {
      switch (env.type) {
        case 'contact_request': await invites.handleRequest(this.ctx, this.hooks, env.bytes, e.from); break
        case 'contact_accept': await invites.handleAccept(this.ctx, this.hooks, env.bytes); break
        case 'contact_reject': await invites.handleReject(this.ctx, env.bytes); break
        case 'message': await handleMessage(this.ctx, this.hooks, e, env.message); break
      }
    } catch (err) {
      // Protocol failures will not heal on redelivery: acknowledge and drop. Anything else (store; a message too far
      // ahead of its chain, whose predecessors are still on their way) is left unacknowledged and comes again.
      if (err instanceof TernError && !['ERR_STORE_CLOSED', 'ERR_CORRUPT_STORE', 'ERR_MESSENGER_STOPPED', 'ERR_TOO_MANY_SKIPPED'].includes(err.code)) {
        this.ctx.log({ msg: 'envelope dropped', type: env.type, code: err.code })
        return
      }
      throw err
    }
  }
}

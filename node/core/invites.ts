/**
 * Contacts by invite (PROTOCOL.md §4, §5): creating invites with their own mailbox queue, answering one (the
 * invitee's ContactRequest), and the inviter's and invitee's handling of requests, accepts and rejects, including the
 * simultaneous-add rule (§5.7). Every record is written before the envelope that depends on it leaves (outbox).
 */
import { fromBase64url, readU32be, toBase64url } from '../../protocol/crypto/index.js'
import { decodeContent, encodeContent, encodeEnvelope, openContent, sealContent } from '../../protocol/envelope/index.js'
import {
  acceptContactRequest, completeContactAccept, ContactAcceptReplayError, ContactRequestExpiredError, ContactRequestReplayError,
  createContactReject, createContactRequest, decodeContactAccept, deserializeRequestRecord, InviteUsedError,
  openContactRequest, RejectReason, requestInviteTag, resolveSimultaneous, serializeRequestRecord, verifyContactReject
} from '../../protocol/handshake/index.js'
import { identityPublic, peerIdStringFromIdentity, sameIdentity } from '../../protocol/identity/index.js'
import {
  createInvite as createInviteRecord, deserializeInviteRecord, parseInvite, serializeInviteRecord, type Invite
} from '../../protocol/invite/index.js'
import {
  deserializePqPreKey, deserializeSignedPreKey, generatePqPreKey, generateSignedPreKey, serializePqPreKey, serializeSignedPreKey
} from '../../protocol/prekeys/index.js'
import { contactKey, newId, outboxKey, peerIndexKey, type StoreBatch } from '../store/index.js'
import { CORE_PREFIX } from './constants.js'
import {
  addrFromBytes, addrToBytes, capabilityFromInfo, cleanName, makeContactInfo, storeCapability, toContact,
  type ContactRecord, type StoredCapability
} from './contacts.js'
import type { CoreContext } from './context.js'
import { ContactExistsError, OwnInviteError } from './errors.js'
import { listEntries, type OutboxEntry } from './outbox.js'
import { putSession } from './sessions.js'

interface InviteEntry { record: string, queue: StoredCapability | null, expiresAt: number }
interface RequestEntry { record: string, contactId: string, spk?: string, pq?: string }
export interface QueueEntry { contactId?: string, inviteTag?: string }

const inviteKey = (ctx: CoreContext, tag: string): string => CORE_PREFIX.invite + ctx.store.blind('invite', tag)
const requestKey = (ctx: CoreContext, tag: string): string => CORE_PREFIX.request + ctx.store.blind('request', tag)
export const queueKey = (ctx: CoreContext, queueId: string): string => CORE_PREFIX.queue + ctx.store.blind('queue', queueId)
/**
 * Index keys of peers already seen, per store: an HMAC per lookup was ~30 µs of every received message's path (the
 * sender's PeerId names its contact). Bounded; starts over when full.
 */
const peerKeys = new WeakMap<CoreContext['store'], Map<string, string>>()
const MAX_PEER_KEYS = 4096
export const peerKey = (ctx: CoreContext, peerId: string): string => {
  let m = peerKeys.get(ctx.store)
  if (m === undefined) peerKeys.set(ctx.store, m = new Map())
  let k = m.get(peerId)
  if (k === undefined) {
    k = peerIndexKey(ctx.store.blind('peer', peerId))
    if (m.size >= MAX_PEER_KEYS) m.clear()
    m.set(peerId, k)
  }
  return k
}

/** Hooks the Messenger gives the handshake: what to do after a contact changed. */
export interface ContactHooks {
  contactsChanged: () => void
  kick: (contactId: string) => void
}

export async function contactByPeer (ctx: CoreContext, peerId: string): Promise<ContactRecord | undefined> {
  const id = await contactIdByPeer(ctx, peerId)
  return id === undefined ? undefined : await ctx.store.getJson<ContactRecord>(contactKey(id))
}

/**
 * The id of the contact with this PeerId, from the peer index alone (written and deleted in the same batches as the
 * contact record): for a caller that reads the record itself anyway (receive.ts, once per inbound message).
 */
export async function contactIdByPeer (ctx: CoreContext, peerId: string): Promise<string | undefined> {
  return (await ctx.store.getJson<{ contactId: string }>(peerKey(ctx, peerId)))?.contactId
}

async function tryCreateQueue (ctx: CoreContext): Promise<StoredCapability | null> {
  const d = ctx.deadline(ctx.timings.MAILBOX_TIMEOUT_MS)
  try {
    return storeCapability(await ctx.net.createQueue({ signal: d.signal }))
  } catch (err) {
    ctx.log({ msg: 'createQueue failed', code: (err as { code?: string })?.code })
    return null
  } finally { d.done() }
}

function deleteQueueLater (ctx: CoreContext, queueId: string): void {
  const d = ctx.deadline(ctx.timings.MAILBOX_TIMEOUT_MS)
  ctx.net.deleteQueue(fromBase64url(queueId), { signal: d.signal })
    .catch((err: unknown) => { ctx.log({ msg: 'deleteQueue failed', code: (err as { code?: string })?.code }) })
    .finally(d.done)
}

const contactEvent = (ctx: CoreContext, c: ContactRecord): Record<string, unknown> => ({ contact: toContact(c, ctx.isOnline(c.peerId)) })

/** invite.create: a single-use invite with its own queue; its secrets are stored (encrypted) under iv/<blind(tag)>. */
export async function createInvite (ctx: CoreContext, p: { expiresInSeconds?: number }): Promise<{ invite: string, expiresAt: number }> {
  const d = ctx.deadline(ctx.timings.MAILBOX_TIMEOUT_MS)
  let cap
  try { cap = await ctx.net.createQueue({ signal: d.signal }) } finally { d.done() }
  const ttl = p.expiresInSeconds !== undefined ? p.expiresInSeconds * 1000 : ctx.timings.INVITE_TTL_MS
  const expiresAt = Math.floor((ctx.clock.now() + ttl) / 1000)
  const { uri, record } = createInviteRecord({
    identity: ctx.identity,
    relayAddr: addrToBytes(cap.relayAddrs[0] as string),
    mailbox: { queueId: cap.queueId, depositToken: cap.token },
    expiresAt,
    rng: ctx.rng
  })
  const tag = toBase64url(record.tag)
  const queue = storeCapability(cap)
  await ctx.store.batch()
    .putJson(inviteKey(ctx, tag), { record: toBase64url(serializeInviteRecord(record)), queue, expiresAt } satisfies InviteEntry)
    .putJson(queueKey(ctx, queue.queueId), { inviteTag: tag } satisfies QueueEntry)
    .write()
  return { invite: uri, expiresAt: expiresAt * 1000 }
}

/** contacts.add: validates the invite, stores a pending contact, the request record and its outbox entry, then sends. */
export async function addContact (ctx: CoreContext, hooks: ContactHooks, p: { invite: string, name?: string }): Promise<ContactRecord> {
  const now = ctx.clock.now()
  const inv: Invite = parseInvite(p.invite, now)
  if (sameIdentity(inv.inviter, identityPublic(ctx.identity))) throw new OwnInviteError()
  const peerId = peerIdStringFromIdentity(inv.inviter.signingKey)
  const existing = await contactByPeer(ctx, peerId)
  if (existing !== undefined && existing.state !== 'rejected') throw new ContactExistsError(existing.id)
  const myQueue = existing?.myQueue ?? await tryCreateQueue(ctx)

  const prekeyId = (): number => readU32be(ctx.rng(4))
  const spk = generateSignedPreKey(ctx.identity, prekeyId(), ctx.rng)
  const pq = generatePqPreKey(ctx.identity, prekeyId(), ctx.rng)
  const contactInfo = encodeContent({ type: 'contact_info', contactInfo: makeContactInfo(ctx.myName(), myQueue) })
  const { request, pending } = createContactRequest({
    invite: inv, myIdentity: ctx.identity, signedPreKey: spk, pqPreKey: pq, name: ctx.myName(), contactInfo, now, rng: ctx.rng
  })
  const tag = toBase64url(pending.tag)
  const id = existing?.id ?? newId(ctx.rng)
  const c: ContactRecord = {
    id,
    peerId,
    signingKey: toBase64url(inv.inviter.signingKey),
    agreementKey: toBase64url(inv.inviter.agreementKey),
    name: cleanName(p.name, `contact ${peerId.slice(-6)}`),
    nameSet: p.name !== undefined && p.name.trim() !== '',
    state: 'pending',
    verified: false,
    blocked: false,
    lastSeen: existing?.lastSeen ?? null,
    unread: existing?.unread ?? 0,
    createdAt: existing?.createdAt ?? now,
    theirQueue: null,
    myQueue,
    lastPos: existing?.lastPos ?? 0,
    lastOutSeq: existing?.lastOutSeq ?? 0,
    role: 'invitee',
    requestTag: tag
  }
  const inviteRelay = addrFromBytes(inv.relayAddr)
  const entry: OutboxEntry = {
    id: newId(ctx.rng),
    contactId: id,
    kind: 'request',
    envelope: toBase64url(encodeEnvelope({ type: 'contact_request', bytes: request })),
    deposited: false,
    attempts: 0,
    createdAt: now,
    cap: { relayAddrs: [inviteRelay], queueId: toBase64url(inv.mailbox.queueId), token: toBase64url(inv.mailbox.depositToken) },
    hint: [inviteRelay]
  }
  await ctx.lock.run(id, async () => {
    const b = ctx.store.batch()
      .putJson(contactKey(id), c)
      .putJson(peerKey(ctx, peerId), { contactId: id })
      .putJson(requestKey(ctx, tag), {
        record: toBase64url(serializeRequestRecord(pending)),
        contactId: id,
        spk: toBase64url(serializeSignedPreKey(spk)),
        pq: toBase64url(serializePqPreKey(pq))
      } satisfies RequestEntry)
      .putJson(outboxKey(entry.id), entry)
      .appendEvent(existing === undefined ? 'contact.added' : 'contact.updated', contactEvent(ctx, c))
    if (myQueue !== null) b.putJson(queueKey(ctx, myQueue.queueId), { contactId: id } satisfies QueueEntry)
    await b.write()
  })
  hooks.contactsChanged()
  ctx.outbox.schedule(entry.id)
  return c
}

async function deleteEntriesOf (ctx: CoreContext, b: StoreBatch, contactId: string, kind: OutboxEntry['kind']): Promise<void> {
  for (const e of await listEntries(ctx.store)) if (e.contactId === contactId && e.kind === kind) b.del(outboxKey(e.id))
}

/** Best-effort ContactReject straight back to a requester we can name (§5.5); never stored. */
function sendReject (ctx: CoreContext, tag: Uint8Array, reason: RejectReason, to: string | undefined): void {
  if (to === undefined) return
  const envelope = encodeEnvelope({ type: 'contact_reject', bytes: createContactReject({ tag, reason, myIdentity: ctx.identity }) })
  const t = ctx.timings
  void (async () => {
    for (let i = 0; i < t.REJECT_ATTEMPTS; i++) {
      const d = ctx.deadline(t.UNREACHABLE_AFTER_MS + t.ACK_TIMEOUT_MS)
      try { await ctx.net.sendDirect(to, envelope, { signal: d.signal }); return } catch {} finally { d.done() }
    }
  })()
}

/** The inviter's side of a ContactRequest. Returns normally whenever the envelope should be acknowledged. */
export async function handleRequest (ctx: CoreContext, hooks: ContactHooks, bytes: Uint8Array, from: string | undefined): Promise<void> {
  const tagBytes = requestInviteTag(bytes)
  const tag = toBase64url(tagBytes)
  await ctx.lock.run('invite:' + tag, async () => {
    const iv = await ctx.store.getJson<InviteEntry>(inviteKey(ctx, tag))
    if (iv === undefined) { sendReject(ctx, tagBytes, RejectReason.UNKNOWN, from); return }
    const record = deserializeInviteRecord(fromBase64url(iv.record))
    let opened
    try {
      opened = openContactRequest({ bytes, invite: record, myIdentity: ctx.identity, now: ctx.clock.now() })
    } catch (err) {
      if (err instanceof ContactRequestReplayError) return // our accept is already in the outbox
      if (err instanceof InviteUsedError) { sendReject(ctx, tagBytes, RejectReason.USED, from); return }
      if (err instanceof ContactRequestExpiredError) { sendReject(ctx, tagBytes, RejectReason.EXPIRED, from); return }
      throw err
    }
    const peerId = peerIdStringFromIdentity(opened.identity.signingKey)
    const existing = await contactByPeer(ctx, peerId)
    const crossed = existing !== undefined && existing.role === 'invitee' && existing.state === 'pending'
    const usedRecord = { state: 'used' as const, tag: opened.tag, requestHash: opened.requestHash }
    if (crossed && resolveSimultaneous(identityPublic(ctx.identity), opened.identity) === 'wait') {
      // §5.7: the smaller identity accepts my request; this invite is spent all the same.
      const b = ctx.store.batch().putJson(inviteKey(ctx, tag), { ...iv, record: toBase64url(serializeInviteRecord(usedRecord)), queue: null })
      if (iv.queue !== null) b.del(queueKey(ctx, iv.queue.queueId))
      await b.write()
      if (iv.queue !== null) deleteQueueLater(ctx, iv.queue.queueId)
      return
    }
    let info = null
    try {
      const content = decodeContent(opened.contactInfo)
      if (content.type === 'contact_info') info = content.contactInfo
    } catch {}
    const myQueue = existing?.myQueue ?? await tryCreateQueue(ctx)
    const firstPlaintext = sealContent({ type: 'contact_info', contactInfo: makeContactInfo(ctx.myName(), myQueue) })
    const res = acceptContactRequest({ opened, myIdentity: ctx.identity, firstPlaintext, rng: ctx.rng })
    const id = existing?.id ?? newId(ctx.rng)
    const now = ctx.clock.now()
    await ctx.lock.run(id, async () => {
      const cur = await ctx.store.getJson<ContactRecord>(contactKey(id))
      const c: ContactRecord = {
        id,
        peerId,
        signingKey: toBase64url(opened.identity.signingKey),
        agreementKey: toBase64url(opened.identity.agreementKey),
        name: cur?.nameSet === true ? cur.name : cleanName(opened.name, `contact ${peerId.slice(-6)}`),
        nameSet: cur?.nameSet ?? false,
        state: 'pending',
        verified: cur?.verified ?? false,
        blocked: cur?.blocked ?? false,
        lastSeen: cur?.lastSeen ?? null,
        unread: cur?.unread ?? 0,
        createdAt: cur?.createdAt ?? now,
        theirQueue: (info !== null ? capabilityFromInfo(info) : null) ?? cur?.theirQueue ?? null,
        myQueue,
        lastPos: cur?.lastPos ?? 0,
        lastOutSeq: cur?.lastOutSeq ?? 0,
        role: 'inviter',
        requestTag: null
      }
      const entry: OutboxEntry = {
        id: newId(ctx.rng), contactId: id, kind: 'accept',
        envelope: toBase64url(encodeEnvelope({ type: 'contact_accept', bytes: res.accept })),
        deposited: false, attempts: 0, createdAt: now
      }
      const b = ctx.store.batch()
        .putJson(inviteKey(ctx, tag), { ...iv, record: toBase64url(serializeInviteRecord(res.usedInvite)), queue: null })
        .putJson(contactKey(id), c)
        .putJson(peerKey(ctx, peerId), { contactId: id })
        .putJson(outboxKey(entry.id), entry)
        .appendEvent(cur === undefined ? 'contact.added' : 'contact.updated', contactEvent(ctx, c))
      putSession(b, id, res.state)
      if (iv.queue !== null) b.del(queueKey(ctx, iv.queue.queueId))
      if (myQueue !== null) b.putJson(queueKey(ctx, myQueue.queueId), { contactId: id } satisfies QueueEntry)
      if (cur?.requestTag != null) {
        b.del(requestKey(ctx, cur.requestTag)) // §5.7 'respond': my crossed request is dropped
        await deleteEntriesOf(ctx, b, id, 'request')
      }
      await b.write()
      ctx.outbox.schedule(entry.id)
    })
    if (iv.queue !== null) deleteQueueLater(ctx, iv.queue.queueId)
    hooks.contactsChanged()
    hooks.kick(id)
  })
}

/** The invitee's side of a ContactAccept: completes the session; the contact becomes established. */
export async function handleAccept (ctx: CoreContext, hooks: ContactHooks, bytes: Uint8Array): Promise<void> {
  const tag = toBase64url(decodeContactAccept(bytes).tag)
  const rq = await ctx.store.getJson<RequestEntry>(requestKey(ctx, tag))
  if (rq === undefined) { ctx.log({ msg: 'accept for no request' }); return }
  await ctx.lock.run(rq.contactId, async () => {
    const cur = await ctx.store.getJson<RequestEntry>(requestKey(ctx, tag))
    const c = await ctx.store.getJson<ContactRecord>(contactKey(rq.contactId))
    if (cur === undefined || c === undefined || cur.spk === undefined || cur.pq === undefined) return
    let res
    try {
      res = completeContactAccept({
        bytes,
        pending: deserializeRequestRecord(fromBase64url(cur.record)),
        myIdentity: ctx.identity,
        signedPreKey: deserializeSignedPreKey(fromBase64url(cur.spk)),
        pqPreKey: deserializePqPreKey(fromBase64url(cur.pq))
      })
    } catch (err) {
      if (err instanceof ContactAcceptReplayError) return
      throw err
    }
    const next: ContactRecord = { ...c, state: 'established', requestTag: null }
    try {
      const content = openContent(res.firstPlaintext)
      if (content.type === 'contact_info') {
        if (!c.nameSet) next.name = cleanName(content.contactInfo.name, c.name)
        next.theirQueue = capabilityFromInfo(content.contactInfo) ?? c.theirQueue
      }
    } catch {}
    const info: OutboxEntry = {
      id: newId(ctx.rng), contactId: c.id, kind: 'info', envelope: null, deposited: false, attempts: 0, createdAt: ctx.clock.now()
    }
    const b = ctx.store.batch()
      .putJson(requestKey(ctx, tag), { record: toBase64url(serializeRequestRecord(res.completed)), contactId: c.id } satisfies RequestEntry)
      .putJson(contactKey(c.id), next)
      .putJson(outboxKey(info.id), info)
      .appendEvent('contact.updated', contactEvent(ctx, next))
    putSession(b, c.id, res.state)
    await deleteEntriesOf(ctx, b, c.id, 'request')
    await b.write()
  })
  hooks.kick(rq.contactId)
}

/** The invitee's side of a ContactReject: the pending contact becomes rejected. */
export async function handleReject (ctx: CoreContext, bytes: Uint8Array): Promise<void> {
  if (bytes.length < 18) return
  const tag = toBase64url(bytes.subarray(1, 17))
  const rq = await ctx.store.getJson<RequestEntry>(requestKey(ctx, tag))
  if (rq === undefined) return
  await ctx.lock.run(rq.contactId, async () => {
    const c = await ctx.store.getJson<ContactRecord>(contactKey(rq.contactId))
    const pending = deserializeRequestRecord(fromBase64url(rq.record))
    if (c === undefined || pending.state !== 'pending' || c.state !== 'pending') return
    verifyContactReject({ bytes, pending })
    const next: ContactRecord = { ...c, state: 'rejected', requestTag: null }
    const b = ctx.store.batch().putJson(contactKey(c.id), next).del(requestKey(ctx, tag))
      .appendEvent('contact.updated', contactEvent(ctx, next))
    await deleteEntriesOf(ctx, b, c.id, 'request')
    await b.write()
  })
}

export { requestKey }

/**
 * The relay side of /tern/mailbox/1.0.0 (PROTOCOL.md §8): a libp2p service that, per stream, sends a challenge,
 * then answers each request frame with one response frame carrying a status, and pushes new deposits to
 * subscribed owner streams. It owns authentication and ownership checks; quotas and storage are the store's.
 * A frame that does not decode aborts that stream (and nothing else); every other refusal is a status.
 */
import type { Connection, PeerId, Startable, Stream } from '@libp2p/interface'
import { equal, systemRng, type Rng } from '../../protocol/crypto/index.js'
import { verifyAuth } from './auth.js'
import {
  CHALLENGE_BYTES, MAILBOX_PROTOCOL, MAX_ACK_IDS, MAX_DEPOSIT_BATCH, MAX_FETCH_BYTES, MAX_FETCH_COUNT,
  MAX_CONCURRENT_REQUESTS, MAX_FRAME_BYTES, MAX_INBOUND_STREAMS, MAX_LIST_COUNT, MAX_SUBSCRIBE_QUEUES, QUEUE_ID_BYTES, TOKEN_BYTES
} from './constants.js'
import { MailboxProtocolError } from './errors.js'
import { FrameReader, writeFrame } from './frames.js'
import { resolveLimits, type MailboxLimits } from './limits.js'
import { Request, ServerFrame, Status, type Envelope } from './pb/mailbox.js'
import { hex, MailboxStore, type MailboxStats, type StoredEnvelope } from './store.js'

export interface MailboxEvent {
  type: 'deposit' | 'fetch' | 'ack' | 'push' | 'refusal'
  /** the refusal's status name, for type 'refusal' */
  reason?: string
  count?: number
  bytes?: number
}

export interface MailboxServerInit {
  dbPath: string
  limits: MailboxLimits
  /** PeerId strings allowed to create queues, or 'any' (then maxQueuesAnyOwnerTotal also applies) */
  allowOwners: 'any' | string[]
  onEvent?: (e: MailboxEvent) => void
  now?: () => number
  rng?: Rng
  /** how long a begun request frame may take to complete, ms (default FRAME_TIMEOUT_MS; tests shorten it) */
  frameTimeoutMs?: number
}

export interface MailboxServerComponents {
  peerId: PeerId
  registrar: {
    handle: (protocol: string, handler: (stream: Stream, connection: Connection) => void | Promise<void>,
      options?: { runOnLimitedConnection?: boolean, maxInboundStreams?: number, maxOutboundStreams?: number }) => Promise<void>
    unhandle: (protocol: string) => Promise<void>
  }
}

/** Decoder limits: repeated fields are bounded while decoding (STYLE principle 4). */
export const REQUEST_DECODE_LIMITS = {
  deposits: MAX_DEPOSIT_BATCH, ids: MAX_ACK_IDS, queueIds: MAX_SUBSCRIBE_QUEUES
}

/** Decodes one request frame; throws MailboxProtocolError (and nothing else) on any malformed input. */
export function decodeRequest (frame: Uint8Array): Request {
  if (frame.length > MAX_FRAME_BYTES) throw new MailboxProtocolError('frame too large')
  let req: Request
  try {
    req = Request.decode(frame, { limits: REQUEST_DECODE_LIMITS })
  } catch (err) {
    throw new MailboxProtocolError(`malformed frame: ${(err as Error).name}`)
  }
  if (typeof req.type !== 'string' || !(req.type in Request.Type)) throw new MailboxProtocolError('unknown request type')
  return req
}

interface Session {
  stream: Stream
  remotePeer: PeerId
  remotePeerStr: string
  remotePeerBytes: Uint8Array
  challenge: Uint8Array
  ownerKey?: Uint8Array
  authSig?: Uint8Array
  subs: Set<string>
}

type Reply = Partial<ServerFrame> & { status: Status }
type Bytes = Uint8Array<ArrayBuffer>
const b = (x: Uint8Array): Bytes => x as Bytes
const toWire = (e: StoredEnvelope): Envelope => ({ queueId: b(e.queueId), id: e.id, data: b(e.data), depositedAt: e.depositedAt })

export class MailboxService implements Startable {
  readonly [Symbol.toStringTag] = '@tern/mailbox'
  private readonly store: MailboxStore
  private readonly components: MailboxServerComponents
  private readonly init: MailboxServerInit
  private readonly now: () => number
  private readonly rng: Rng
  private readonly sessions = new Set<Session>()
  private readonly subscribers = new Map<string, Set<Session>>()
  private sweepTimer?: ReturnType<typeof setInterval>
  private sweeping?: Promise<unknown>
  private started = false

  constructor (components: MailboxServerComponents, init: MailboxServerInit) {
    this.components = components
    this.init = init
    this.now = init.now ?? Date.now
    this.rng = init.rng ?? systemRng
    this.store = new MailboxStore({ dbPath: init.dbPath, limits: resolveLimits(init.limits), rng: this.rng })
  }

  isStarted (): boolean { return this.started }

  async start (): Promise<void> {
    await this.store.open()
    await this.components.registrar.handle(MAILBOX_PROTOCOL, (stream, connection) => {
      void this.handleStream(stream, connection)
    }, { runOnLimitedConnection: true, maxInboundStreams: MAX_INBOUND_STREAMS })
    this.scheduleSweep()
    this.started = true
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer)
    await this.components.registrar.unhandle(MAILBOX_PROTOCOL).catch(() => {})
    for (const s of this.sessions) s.stream.abort(new Error('mailbox stopping'))
    await this.store.close()
    await this.sweeping?.catch(() => {})
  }

  async stats (): Promise<MailboxStats> { return this.store.stats() }

  /** Replaces the limits (e.g. on SIGHUP); nothing stored is deleted by a lower limit. */
  setLimits (limits: MailboxLimits): void {
    this.store.limits = resolveLimits(limits)
    if (this.started) this.scheduleSweep()
  }

  /** Runs one retention sweep now (the timer runs it every sweepIntervalMs). */
  async sweep (): Promise<{ envelopes: number, queues: number }> {
    const p = this.store.sweep(this.now())
    this.sweeping = p
    try { return await p } finally { if (this.sweeping === p) this.sweeping = undefined }
  }

  /** The store, for tests and benchmarks in this folder. */
  get storeForTesting (): MailboxStore { return this.store }

  private scheduleSweep (): void {
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer)
    this.sweepTimer = undefined
    const every = this.store.limits.sweepIntervalMs
    if (every > 0) {
      this.sweepTimer = setInterval(() => { if (this.sweeping === undefined) this.sweep().catch(() => {}) }, every)
      this.sweepTimer.unref()
    }
  }

  private emit (e: MailboxEvent): void {
    try { this.init.onEvent?.(e) } catch {}
  }

  private async handleStream (stream: Stream, connection: Connection): Promise<void> {
    const session: Session = {
      stream,
      remotePeer: connection.remotePeer,
      remotePeerStr: connection.remotePeer.toString(),
      remotePeerBytes: connection.remotePeer.toMultihash().bytes,
      challenge: this.rng(CHALLENGE_BYTES),
      subs: new Set()
    }
    this.sessions.add(session)
    try {
      const reader = new FrameReader(stream, MAX_FRAME_BYTES, this.init.frameTimeoutMs)
      await writeFrame(stream, ServerFrame.encode({ kind: ServerFrame.Kind.CHALLENGE, challenge: b(session.challenge) }))
      // Requests are processed concurrently (at most MAX_CONCURRENT_REQUESTS per stream); the store runs them in
      // arrival order, and each response carries its request's id.
      const inFlight = new Set<Promise<void>>()
      while (true) {
        const frame = await reader.next()
        if (frame === null) break // the client closed its side cleanly
        const req = decodeRequest(frame)
        const p: Promise<void> = this.handleRequest(req, session).then(async (reply) => {
          // deposits report one refusal per refused item themselves
          if (reply.status !== Status.OK && reply.results === undefined) this.emit({ type: 'refusal', reason: reply.status })
          await writeFrame(stream, ServerFrame.encode({ ...reply, kind: ServerFrame.Kind.RESPONSE, id: req.id }))
        }).catch((err) => { stream.abort(err instanceof Error ? err : new Error('write failed')) })
          .finally(() => { inFlight.delete(p) })
        inFlight.add(p)
        if (inFlight.size >= MAX_CONCURRENT_REQUESTS) await Promise.race(inFlight)
      }
      await Promise.all(inFlight)
      await stream.close().catch(() => {})
    } catch (err) {
      stream.abort(err instanceof Error ? err : new MailboxProtocolError('stream failed'))
    } finally {
      this.sessions.delete(session)
      for (const q of session.subs) {
        const set = this.subscribers.get(q)
        set?.delete(session)
        if (set?.size === 0) this.subscribers.delete(q)
      }
    }
  }

  private async handleRequest (req: Request, s: Session): Promise<Reply> {
    try {
      switch (req.type) {
        case Request.Type.CHALLENGE:
          s.challenge = this.rng(CHALLENGE_BYTES); s.ownerKey = undefined; s.authSig = undefined
          return { status: Status.OK, challenge: b(s.challenge) }
        case Request.Type.CREATE_QUEUE: return await this.handleCreateQueue(req, s)
        case Request.Type.DEPOSIT:
        case Request.Type.DEPOSIT_BATCH: return await this.handleDeposit(req)
        case Request.Type.LIST:
        case Request.Type.FETCH: return await this.handleFetch(req, s)
        case Request.Type.ACK: return await this.handleAck(req, s)
        case Request.Type.SUBSCRIBE: return await this.handleSubscribe(req, s)
        case Request.Type.DELETE_QUEUE: return await this.handleDeleteQueue(req, s)
        default: return { status: Status.UNSUPPORTED }
      }
    } catch {
      return { status: Status.INTERNAL }
    }
  }

  /** Checks (or reuses) this stream's owner-key proof. */
  private authenticate (req: Request, s: Session): Status {
    const a = req.auth
    if (a == null) return s.ownerKey !== undefined ? Status.OK : Status.NOT_AUTHENTICATED
    if (s.ownerKey !== undefined && s.authSig !== undefined && equal(a.ownerPublicKey, s.ownerKey) &&
      a.signature.length === s.authSig.length && equal(a.signature, s.authSig)) return Status.OK
    const relay = this.components.peerId.toMultihash().bytes
    if (!verifyAuth(a.ownerPublicKey, a.signature, relay, s.remotePeerBytes, s.challenge)) {
      s.ownerKey = undefined; s.authSig = undefined
      return Status.NOT_AUTHENTICATED
    }
    s.ownerKey = a.ownerPublicKey.slice(); s.authSig = a.signature.slice()
    return Status.OK
  }

  /** Ownership = the connection's PeerId AND the proven owner key both match the queue's (§8.3). */
  private checkOwner (req: Request, s: Session, queueId: Uint8Array): Status {
    if (queueId.length !== QUEUE_ID_BYTES) return Status.MALFORMED
    const auth = this.authenticate(req, s)
    if (auth !== Status.OK) return auth
    const q = this.store.getQueue(queueId)
    if (q === undefined) return Status.UNKNOWN_QUEUE
    if (q.ownerPeer !== s.remotePeerStr || s.ownerKey === undefined || !equal(s.ownerKey, q.ownerKey)) {
      return Status.NOT_OWNER
    }
    return Status.OK
  }

  private async handleCreateQueue (req: Request, s: Session): Promise<Reply> {
    const auth = this.authenticate(req, s)
    if (auth !== Status.OK || s.ownerKey === undefined) return { status: auth }
    const peer = s.remotePeerStr
    const allow = this.init.allowOwners
    if (allow !== 'any' && !allow.includes(peer)) return { status: Status.NOT_ALLOWED }
    const r = await this.store.createQueue(peer, s.ownerKey, this.now(), allow === 'any')
    return r.status === Status.OK ? { status: Status.OK, queueId: r.queueId === undefined ? undefined : b(r.queueId), token: r.token === undefined ? undefined : b(r.token) } : { status: r.status }
  }

  private async handleDeposit (req: Request): Promise<Reply> {
    const n = req.deposits.length
    if (n === 0 || (req.type === Request.Type.DEPOSIT && n !== 1)) return { status: Status.MALFORMED }
    const results: Array<{ status: Status, id: number }> = new Array(n)
    const valid: Array<{ i: number, queueId: Uint8Array, token: Uint8Array, envelope: Uint8Array }> = []
    for (let i = 0; i < n; i++) {
      const d = req.deposits[i]
      if (d.queueId.length !== QUEUE_ID_BYTES || d.token.length !== TOKEN_BYTES || d.envelope.length === 0) {
        results[i] = { status: Status.MALFORMED, id: 0 }
      } else valid.push({ i, queueId: d.queueId, token: d.token, envelope: d.envelope })
    }
    if (valid.length > 0) {
      const { results: rs, accepted } = await this.store.deposit(valid, this.now())
      for (let j = 0; j < valid.length; j++) results[valid[j].i] = rs[j]
      if (accepted.length > 0) {
        let bytes = 0
        for (const e of accepted) bytes += e.data.length
        this.emit({ type: 'deposit', count: accepted.length, bytes })
        this.maybePush(accepted)
      }
    }
    for (const r of results) if (r.status !== Status.OK) this.emit({ type: 'refusal', reason: r.status })
    const status = req.type === Request.Type.DEPOSIT ? results[0].status : Status.OK
    return { status, results }
  }

  /** Pushes freshly stored envelopes to every stream subscribed to their queue (best effort, not awaited). */
  private maybePush (accepted: StoredEnvelope[]): void {
    if (this.subscribers.size === 0) return
    const bySession = new Map<Session, Envelope[]>()
    for (const e of accepted) {
      const subs = this.subscribers.get(hex(e.queueId))
      if (subs === undefined) continue
      for (const s of subs) {
        let list = bySession.get(s)
        if (list === undefined) { list = []; bySession.set(s, list) }
        list.push(toWire(e))
      }
    }
    for (const [s, envelopes] of bySession) {
      let bytes = 0
      for (const e of envelopes) bytes += e.data.length
      writeFrame(s.stream, ServerFrame.encode({ kind: ServerFrame.Kind.PUSH, envelopes, status: Status.OK }))
        .then(() => { this.emit({ type: 'push', count: envelopes.length, bytes }) }, () => {})
    }
  }

  private async handleFetch (req: Request, s: Session): Promise<Reply> {
    const own = this.checkOwner(req, s, req.queueId)
    if (own !== Status.OK) return { status: own }
    const list = req.type === Request.Type.LIST
    const maxCount = list ? MAX_LIST_COUNT : Math.min(req.maxCount === 0 ? MAX_FETCH_COUNT : req.maxCount, MAX_FETCH_COUNT)
    const maxBytes = list ? Number.MAX_SAFE_INTEGER : Math.min(req.maxBytes === 0 ? MAX_FETCH_BYTES : req.maxBytes, MAX_FETCH_BYTES)
    const r = await this.store.fetch(req.queueId, maxCount, maxBytes, this.now())
    if (r.status !== Status.OK) return { status: r.status }
    if (list) return { status: Status.OK, infos: r.envelopes.map(e => ({ id: e.id, size: e.data.length })), remaining: r.remaining }
    let bytes = 0
    for (const e of r.envelopes) bytes += e.data.length
    this.emit({ type: 'fetch', count: r.envelopes.length, bytes })
    return { status: Status.OK, envelopes: r.envelopes.map(toWire), remaining: r.remaining }
  }

  private async handleAck (req: Request, s: Session): Promise<Reply> {
    const own = this.checkOwner(req, s, req.queueId)
    if (own !== Status.OK) return { status: own }
    for (const id of req.ids) if (!Number.isSafeInteger(id) || id < 0) return { status: Status.MALFORMED }
    const r = await this.store.ack(req.queueId, req.ids, this.now())
    if (r.status === Status.OK) this.emit({ type: 'ack', count: r.deleted })
    return { status: r.status }
  }

  private async handleSubscribe (req: Request, s: Session): Promise<Reply> {
    if (req.queueIds.length === 0) return { status: Status.MALFORMED }
    for (const q of req.queueIds) {
      const own = this.checkOwner(req, s, q)
      if (own !== Status.OK) return { status: own }
    }
    for (const q of req.queueIds) {
      const st = await this.store.touch(q, this.now())
      if (st !== Status.OK) return { status: st }
    }
    for (const q of req.queueIds) {
      const key = hex(q)
      s.subs.add(key)
      let set = this.subscribers.get(key)
      if (set === undefined) { set = new Set(); this.subscribers.set(key, set) }
      set.add(s)
    }
    return { status: Status.OK }
  }

  private async handleDeleteQueue (req: Request, s: Session): Promise<Reply> {
    const own = this.checkOwner(req, s, req.queueId)
    if (own !== Status.OK) return { status: own }
    const status = await this.store.deleteQueue(req.queueId)
    const key = hex(req.queueId)
    for (const sub of this.subscribers.get(key) ?? []) sub.subs.delete(key)
    this.subscribers.delete(key)
    return { status }
  }
}

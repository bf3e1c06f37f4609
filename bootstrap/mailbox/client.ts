/**
 * The node side of /tern/mailbox/1.0.0 (PROTOCOL.md §8). One `MailboxSession` per stream: it waits for the relay's
 * challenge, sends requests with fresh ids (several may be in flight: pipelining), matches responses by id and
 * hands PUSH frames to a callback. `MailboxClient` keeps one lazily opened session for requests and opens one
 * more per subscription. Refusals become `MailboxError` with the status; envelopes are opaque bytes.
 */
import type { AbortOptions, Connection, PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { InvalidArgumentError } from '../../protocol/errors.js'
import { signAuth } from './auth.js'
import {
  CHALLENGE_BYTES, DEFAULT_CLIENT_TIMEOUT_MS, MAILBOX_PROTOCOL, MAX_DEPOSIT_BATCH, QUEUE_ID_BYTES
} from './constants.js'
import { MailboxConnectionError, MailboxError, MailboxProtocolError, MailboxTimeoutError } from './errors.js'
import { FrameReader, writeFrame } from './frames.js'
import { Request, ServerFrame, Status, type Auth } from './pb/mailbox.js'

/** What a sender needs to deposit into a queue (handed out by the queue's owner, e.g. in an invite). */
export interface QueueCapability { queueId: Uint8Array, token: Uint8Array }
export interface FetchedEnvelope { queueId: Uint8Array, id: number, data: Uint8Array, depositedAt: number }
export interface DepositOutcome { status: Status, id: number }

export interface MailboxClientInit {
  /** the local node (dial + its PeerId) */
  libp2p: { peerId: PeerId, dial: (peer: PeerId | Multiaddr | Multiaddr[], options?: AbortOptions) => Promise<Connection> }
  /** the relay: its PeerId (already known to the peer store) or a multiaddr, possibly /p2p-circuit */
  relay: PeerId | Multiaddr | Multiaddr[]
  /** the owner key (Ed25519 seed + public key); needed for every owner operation, not for deposits */
  ownerKey?: { secretKey: Uint8Array, publicKey: Uint8Array }
  /** per-request timeout, ms (default 10 s) */
  timeoutMs?: number
}

export interface RequestOptions extends AbortOptions { timeoutMs?: number }

export interface Subscription {
  /** resolves when the subscription's stream ends (closed by either side or failed) */
  readonly closed: Promise<void>
  close: () => Promise<void>
}

type RequestBody = Omit<Partial<Request>, 'id' | 'auth'>

function raceAbort<T> (p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new MailboxTimeoutError())
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { reject(new MailboxTimeoutError()) }
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(v => { signal.removeEventListener('abort', onAbort); resolve(v) },
      e => { signal.removeEventListener('abort', onAbort); reject(e) })
  })
}

/** One stream to the relay. */
export class MailboxSession {
  private readonly reader: FrameReader
  private readonly pending = new Map<number, { resolve: (f: ServerFrame) => void, reject: (e: Error) => void }>()
  private nextId = 1
  private challenge?: Uint8Array
  private auth?: Auth
  private readonly ready: { promise: Promise<void>, resolve: () => void, reject: (e: Error) => void }
  private failure?: Error
  readonly closed: Promise<void>

  constructor (readonly stream: Stream, private readonly relayPeer: Uint8Array, private readonly localPeer: Uint8Array,
    private readonly ownerKey: MailboxClientInit['ownerKey'], private readonly onPush?: (e: FetchedEnvelope[]) => void) {
    this.reader = new FrameReader(stream)
    let resolve!: () => void; let reject!: (e: Error) => void
    this.ready = { promise: new Promise<void>((res, rej) => { resolve = res; reject = rej }), resolve, reject }
    this.ready.promise.catch(() => {})
    this.closed = this.readLoop()
  }

  get isOpen (): boolean { return this.failure === undefined }

  private async readLoop (): Promise<void> {
    try {
      while (true) {
        let frame: ServerFrame
        const bytes = await this.reader.next()
        if (bytes === null) throw new MailboxConnectionError('the relay closed the stream')
        try {
          frame = ServerFrame.decode(bytes)
        } catch (err) {
          throw new MailboxProtocolError(`malformed server frame: ${(err as Error).name}`)
        }
        if (frame.kind === ServerFrame.Kind.CHALLENGE) {
          if (frame.challenge.length !== CHALLENGE_BYTES) throw new MailboxProtocolError('bad challenge')
          this.challenge = frame.challenge; this.auth = undefined
          this.ready.resolve()
        } else if (frame.kind === ServerFrame.Kind.PUSH) {
          this.onPush?.(frame.envelopes)
        } else {
          const p = this.pending.get(frame.id)
          if (p !== undefined) { this.pending.delete(frame.id); p.resolve(frame) }
        }
      }
    } catch (err) {
      const e = err instanceof MailboxProtocolError ? err : new MailboxConnectionError('mailbox stream closed')
      this.fail(e)
      if (err instanceof MailboxProtocolError) this.stream.abort(err)
    }
  }

  private fail (e: Error): void {
    if (this.failure !== undefined) return
    this.failure = e
    this.ready.reject(e)
    for (const p of this.pending.values()) p.reject(e)
    this.pending.clear()
  }

  private authFor (): Auth {
    if (this.ownerKey === undefined) throw new InvalidArgumentError('mailbox: this operation needs ownerKey')
    if (this.auth === undefined) {
      if (this.challenge === undefined) throw new MailboxProtocolError('no challenge yet')
      this.auth = {
        ownerPublicKey: this.ownerKey.publicKey as Uint8Array<ArrayBuffer>,
        signature: signAuth(this.ownerKey.secretKey, this.relayPeer, this.localPeer, this.challenge) as Uint8Array<ArrayBuffer>
      }
    }
    return this.auth
  }

  /** Sends one request and resolves with its response frame (whatever its status). */
  async request (body: RequestBody, owner: boolean, signal: AbortSignal): Promise<ServerFrame> {
    if (this.failure !== undefined) throw this.failure
    await raceAbort(this.ready.promise, signal)
    const id = this.nextId++
    if (this.nextId > 0xffffffff) this.nextId = 1
    const req: Partial<Request> = { ...body, id }
    if (owner) req.auth = this.authFor()
    const response = new Promise<ServerFrame>((resolve, reject) => { this.pending.set(id, { resolve, reject }) })
    try {
      await raceAbort(writeFrame(this.stream, Request.encode(req)), signal)
    } catch (err) {
      this.pending.delete(id)
      if (err instanceof MailboxTimeoutError) throw err
      throw new MailboxConnectionError('mailbox write failed')
    }
    try {
      return await raceAbort(response, signal)
    } finally {
      this.pending.delete(id)
    }
  }

  async close (): Promise<void> {
    this.fail(new MailboxConnectionError('mailbox session closed'))
    await this.stream.close().catch(() => { this.stream.abort(new Error('close failed')) })
  }
}

export class MailboxClient {
  private readonly init: MailboxClientInit
  private session?: Promise<MailboxSession>

  constructor (init: MailboxClientInit) {
    if (init.ownerKey !== undefined && (init.ownerKey.publicKey.length !== 32 || init.ownerKey.secretKey.length !== 32)) {
      throw new InvalidArgumentError('mailbox ownerKey: expected 32-byte Ed25519 keys')
    }
    this.init = init
  }

  private signal (opts: RequestOptions): AbortSignal {
    const t = AbortSignal.timeout(opts.timeoutMs ?? this.init.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS)
    return opts.signal != null ? AbortSignal.any([opts.signal, t]) : t
  }

  private async open (signal: AbortSignal, onPush?: (e: FetchedEnvelope[]) => void): Promise<MailboxSession> {
    let conn: Connection
    let stream: Stream
    try {
      conn = await this.init.libp2p.dial(this.init.relay, { signal })
      stream = await conn.newStream(MAILBOX_PROTOCOL, { runOnLimitedConnection: true, signal })
    } catch (err) {
      if (signal.aborted) throw new MailboxTimeoutError()
      throw new MailboxConnectionError(`cannot open mailbox stream: ${(err as Error).message}`)
    }
    return new MailboxSession(stream, conn.remotePeer.toMultihash().bytes, this.init.libp2p.peerId.toMultihash().bytes,
      this.init.ownerKey, onPush)
  }

  private async getSession (signal: AbortSignal): Promise<MailboxSession> {
    const cur = this.session !== undefined ? await this.session.catch(() => undefined) : undefined
    if (cur?.isOpen === true) return cur
    const p = this.open(signal)
    this.session = p
    p.catch(() => { if (this.session === p) this.session = undefined })
    return await p
  }

  private async call (body: RequestBody, owner: boolean, opts: RequestOptions): Promise<ServerFrame> {
    const signal = this.signal(opts)
    const s = await this.getSession(signal)
    const f = await s.request(body, owner, signal)
    if (f.status !== Status.OK) throw new MailboxError(f.status)
    return f
  }

  /** Creates a queue owned by (this PeerId, ownerKey). Keep the token secret: it is the deposit capability. */
  async createQueue (opts: RequestOptions = {}): Promise<QueueCapability> {
    const f = await this.call({ type: Request.Type.CREATE_QUEUE }, true, opts)
    return { queueId: f.queueId, token: f.token }
  }

  /** Deposits one envelope; resolves with its id in the queue. Works over a limited (relayed) connection. */
  async deposit (cap: QueueCapability, envelope: Uint8Array, opts: RequestOptions = {}): Promise<{ id: number }> {
    const f = await this.call({ type: Request.Type.DEPOSIT, deposits: [{ queueId: cap.queueId as Uint8Array<ArrayBuffer>, token: cap.token as Uint8Array<ArrayBuffer>, envelope: envelope as Uint8Array<ArrayBuffer> }] }, false, opts)
    return { id: f.results[0]?.id ?? 0 }
  }

  /** Deposits up to MAX_DEPOSIT_BATCH envelopes in one atomic write; one outcome per item, refusals included. */
  async depositBatch (items: Array<QueueCapability & { envelope: Uint8Array }>, opts: RequestOptions = {}): Promise<DepositOutcome[]> {
    if (items.length === 0 || items.length > MAX_DEPOSIT_BATCH) throw new InvalidArgumentError('depositBatch: 1..256 items')
    const f = await this.call({
      type: Request.Type.DEPOSIT_BATCH,
      deposits: items.map(i => ({ queueId: i.queueId as Uint8Array<ArrayBuffer>, token: i.token as Uint8Array<ArrayBuffer>, envelope: i.envelope as Uint8Array<ArrayBuffer> }))
    }, false, opts)
    return f.results.map(r => ({ status: r.status, id: r.id }))
  }

  async list (queueId: Uint8Array, opts: RequestOptions = {}): Promise<Array<{ id: number, size: number }>> {
    const f = await this.call({ type: Request.Type.LIST, queueId: checkQueueId(queueId) }, true, opts)
    return f.infos.map(i => ({ id: i.id, size: i.size }))
  }

  /** Reads envelopes from the head of a queue without deleting them (ack deletes). */
  async fetch (queueId: Uint8Array, opts: RequestOptions & { maxCount?: number, maxBytes?: number } = {}): Promise<FetchedEnvelope[]> {
    const f = await this.call({ type: Request.Type.FETCH, queueId: checkQueueId(queueId), maxCount: opts.maxCount ?? 0, maxBytes: opts.maxBytes ?? 0 }, true, opts)
    return f.envelopes
  }

  async ack (queueId: Uint8Array, ids: number[], opts: RequestOptions = {}): Promise<void> {
    await this.call({ type: Request.Type.ACK, queueId: checkQueueId(queueId), ids }, true, opts)
  }

  async deleteQueue (queueId: Uint8Array, opts: RequestOptions = {}): Promise<void> {
    await this.call({ type: Request.Type.DELETE_QUEUE, queueId: checkQueueId(queueId) }, true, opts)
  }

  /**
   * Opens a dedicated stream on which the relay pushes every new deposit to these queues while it stays open.
   * Envelopes already queued are not pushed: fetch them (after subscribing, to miss none). Pushed envelopes
   * stay queued until acked.
   */
  async subscribe (queueIds: Uint8Array[], onEnvelope: (e: FetchedEnvelope) => void, opts: RequestOptions = {}): Promise<Subscription> {
    const signal = this.signal(opts)
    const s = await this.open(signal, (list) => { for (const e of list) onEnvelope(e) })
    try {
      const f = await s.request({ type: Request.Type.SUBSCRIBE, queueIds: queueIds.map(checkQueueId) }, true, signal)
      if (f.status !== Status.OK) throw new MailboxError(f.status)
    } catch (err) {
      await s.close()
      throw err
    }
    return { closed: s.closed, close: async () => { await s.close() } }
  }

  async close (): Promise<void> {
    const s = this.session !== undefined ? await this.session.catch(() => undefined) : undefined
    this.session = undefined
    await s?.close()
  }
}

function checkQueueId (q: Uint8Array): Uint8Array<ArrayBuffer> {
  if (!(q instanceof Uint8Array) || q.length !== QUEUE_ID_BYTES) throw new InvalidArgumentError('queue id: expected 16 bytes')
  return q as Uint8Array<ArrayBuffer>
}

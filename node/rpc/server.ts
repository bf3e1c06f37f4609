/**
 * The RPC server: a Unix socket listener (<home>/rpc.sock, mode 0600) and an optional loopback TCP listener guarded by
 * a token, each connection read through the line decoder and fed to the dispatcher, with per-connection flow control
 * (bounded in-flight requests, bounded outbound queue) and the built-in methods that belong to a connection: auth,
 * events.subscribe, events.unsubscribe. Owns sockets and their lifetimes; knows nothing of what methods do.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { chmod, lstat, unlink } from 'node:fs/promises'
import { isIP } from 'node:net'
import net from 'node:net'
import { join } from 'node:path'
import {
  AUTH_TIMEOUT_MS, JSONRPC_VERSION, MAX_INFLIGHT_PER_CONNECTION, MAX_LINE_BYTES, MAX_LIVE_QUEUE_EVENTS, MAX_OUTBOUND_BYTES,
  MAX_SOCKET_PATH_BYTES, MAX_UNAUTHENTICATED_CALLS, MIN_TOKEN_LENGTH, OUTBOUND_HIGH_WATER_BYTES, REJECT_LINGER_MS,
  REPLAY_PAGE_EVENTS, SLOW_CONSUMER_TIMEOUT_MS, SOCKET_FILE, SOCKET_MODE, STALE_PROBE_TIMEOUT_MS
} from './constants.js'
import type { Dispatcher, Handler, RpcConnection, TransportKind } from './dispatch.js'
import { DaemonRunningError, InsecureListenError, RpcErrorCode, rpcError } from './errors.js'
import { Subscription, type EventSink, type EventSource, type StoredEvent } from './events.js'
import { LineDecoder } from './framing.js'

export interface RpcLimits {
  maxLineBytes: number
  maxInflight: number
  highWaterBytes: number
  maxOutboundBytes: number
  slowConsumerTimeoutMs: number
  authTimeoutMs: number
  maxUnauthenticatedCalls: number
  replayPageEvents: number
  maxLiveQueueEvents: number
  rejectLingerMs: number
}

export const DEFAULT_LIMITS: Readonly<RpcLimits> = Object.freeze({
  maxLineBytes: MAX_LINE_BYTES,
  maxInflight: MAX_INFLIGHT_PER_CONNECTION,
  highWaterBytes: OUTBOUND_HIGH_WATER_BYTES,
  maxOutboundBytes: MAX_OUTBOUND_BYTES,
  slowConsumerTimeoutMs: SLOW_CONSUMER_TIMEOUT_MS,
  authTimeoutMs: AUTH_TIMEOUT_MS,
  maxUnauthenticatedCalls: MAX_UNAUTHENTICATED_CALLS,
  replayPageEvents: REPLAY_PAGE_EVENTS,
  maxLiveQueueEvents: MAX_LIVE_QUEUE_EVENTS,
  rejectLingerMs: REJECT_LINGER_MS
})

export interface TcpListenInit {
  /** Default 127.0.0.1. A non-loopback host needs `insecure: true`. */
  host?: string
  /** 0 picks a free port (see tcpAddress()). */
  port: number
  /** Shared secret for `auth`; at least MIN_TOKEN_LENGTH characters. */
  token: string
  insecure?: boolean
}

export interface RpcServerInit {
  dispatcher: Dispatcher
  /** The durable event log behind events.subscribe; without it events.subscribe answers METHOD_NOT_FOUND. */
  events?: EventSource
  /** The node's home: the socket is <home>/rpc.sock. */
  home?: string
  /** Or an explicit socket path (overrides home). Neither: no Unix listener. */
  socketPath?: string
  tcp?: TcpListenInit
  limits?: Partial<RpcLimits>
  /** Diagnostics (ids and reasons only, never content). */
  log?: (event: string, fields: Record<string, unknown>) => void
}

export interface RpcServer {
  start: () => Promise<void>
  stop: () => Promise<void>
  readonly socketPath: string | undefined
  /** The bound TCP address once started. */
  tcpAddress: () => { host: string, port: number } | undefined
  /** Open connections now. */
  connectionCount: () => number
}

export function createRpcServer (init: RpcServerInit): RpcServer {
  return new RpcServerImpl(init)
}

/** Loopback: 127.0.0.0/8, ::1, ::ffff:127.x, localhost. */
export function isLoopbackHost (host: string): boolean {
  if (host === 'localhost') return true
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  if (isIP(h) === 4) return h.startsWith('127.')
  if (isIP(h) === 6) {
    const lower = h.toLowerCase()
    return lower === '::1' || lower === '0:0:0:0:0:0:0:1' || lower.startsWith('::ffff:127.')
  }
  return false
}

/** Constant-time token comparison: both sides hashed first so lengths leak nothing either. */
export function tokensEqual (expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected, 'utf8').digest()
  const b = createHash('sha256').update(given, 'utf8').digest()
  return timingSafeEqual(a, b)
}

class RpcServerImpl implements RpcServer {
  readonly socketPath: string | undefined
  private readonly dispatcher: Dispatcher
  private readonly events: EventSource | undefined
  private readonly tcp: TcpListenInit | undefined
  private readonly limits: RpcLimits
  private readonly log: (event: string, fields: Record<string, unknown>) => void
  private unixServer: net.Server | undefined
  private tcpServer: net.Server | undefined
  private socketIno: number | undefined
  private readonly connections = new Set<Connection>()
  private nextId = 1
  private started = false

  constructor (init: RpcServerInit) {
    this.dispatcher = init.dispatcher
    this.events = init.events
    this.socketPath = init.socketPath ?? (init.home !== undefined ? join(init.home, SOCKET_FILE) : undefined)
    this.tcp = init.tcp
    this.limits = { ...DEFAULT_LIMITS, ...init.limits }
    this.log = init.log ?? (() => {})
    if (this.tcp !== undefined) {
      const host = this.tcp.host ?? '127.0.0.1'
      if (!isLoopbackHost(host) && this.tcp.insecure !== true) {
        throw new InsecureListenError(`refusing to listen on non-loopback ${host} without insecure`)
      }
      if (typeof this.tcp.token !== 'string' || this.tcp.token.length < MIN_TOKEN_LENGTH) {
        throw new InsecureListenError(`the TCP token must have at least ${MIN_TOKEN_LENGTH} characters`)
      }
    }
  }

  async start (): Promise<void> {
    if (this.started) throw new Error('RPC server already started')
    this.started = true
    try {
      if (this.socketPath !== undefined) await this.listenUnix(this.socketPath)
      if (this.tcp !== undefined) await this.listenTcp(this.tcp)
    } catch (err) {
      await this.stop()
      throw err
    }
  }

  async stop (): Promise<void> {
    const closing: Array<Promise<void>> = []
    for (const s of [this.unixServer, this.tcpServer]) {
      if (s !== undefined) closing.push(new Promise(resolve => { s.close(() => { resolve() }) }))
    }
    for (const c of [...this.connections]) c.destroy()
    await Promise.all(closing)
    if (this.unixServer !== undefined && this.socketPath !== undefined) {
      // Remove the socket file only if it is still the one we bound.
      try {
        const st = await lstat(this.socketPath)
        if (st.isSocket() && st.ino === this.socketIno) await unlink(this.socketPath)
      } catch {}
    }
    this.unixServer = undefined
    this.tcpServer = undefined
  }

  tcpAddress (): { host: string, port: number } | undefined {
    const a = this.tcpServer?.address()
    if (a == null || typeof a === 'string') return undefined
    return { host: a.address, port: a.port }
  }

  connectionCount (): number { return this.connections.size }

  private async listenUnix (path: string): Promise<void> {
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) throw new RangeError(`socket path longer than ${MAX_SOCKET_PATH_BYTES} bytes: ${path}`)
    await this.clearStaleSocket(path)
    const server = net.createServer({ allowHalfOpen: true }, socket => { this.handleConnection(socket, 'unix') })
    // Bind with a umask that already yields 0600, so the socket is never reachable by others, then chmod to be sure.
    const previous = process.umask(0o177)
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(path, () => { server.off('error', reject); resolve() })
      })
    } finally {
      process.umask(previous)
    }
    this.unixServer = server
    await chmod(path, SOCKET_MODE)
    this.socketIno = (await lstat(path)).ino
    server.on('error', err => { this.log('rpc.listen.error', { transport: 'unix', code: (err as NodeJS.ErrnoException).code }) })
  }

  /** A socket file left by a dead daemon is removed; one a live daemon answers on is refused. */
  private async clearStaleSocket (path: string): Promise<void> {
    let st
    try { st = await lstat(path) } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      throw err
    }
    if (!st.isSocket()) throw new DaemonRunningError(`${path} (exists and is not a socket)`)
    const alive = await new Promise<boolean>(resolve => {
      const probe = net.connect(path)
      const timer = setTimeout(() => { probe.destroy(); resolve(true) }, STALE_PROBE_TIMEOUT_MS)
      probe.once('connect', () => { clearTimeout(timer); probe.destroy(); resolve(true) })
      probe.once('error', () => { clearTimeout(timer); resolve(false) })
    })
    if (alive) throw new DaemonRunningError(path)
    this.log('rpc.stale_socket_removed', { path })
    await unlink(path)
  }

  private async listenTcp (tcp: TcpListenInit): Promise<void> {
    const server = net.createServer({ allowHalfOpen: true }, socket => { this.handleConnection(socket, 'tcp') })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host: tcp.host ?? '127.0.0.1', port: tcp.port }, () => { server.off('error', reject); resolve() })
    })
    this.tcpServer = server
    server.on('error', err => { this.log('rpc.listen.error', { transport: 'tcp', code: (err as NodeJS.ErrnoException).code }) })
  }

  private handleConnection (socket: net.Socket, transport: TransportKind): void {
    const conn = new Connection(this.nextId++, socket, transport, this.limits, this.dispatcher, this.builtinsFor.bind(this), this.log)
    this.connections.add(conn)
    conn.onClose = () => { this.connections.delete(conn) }
  }

  private builtinsFor (conn: Connection): ReadonlyMap<string, Handler> {
    const map = new Map<string, Handler>()
    map.set('auth', (params: { token: string }, ctx) => {
      if (conn.transport === 'unix') return { ok: true }
      if (this.tcp !== undefined && tokensEqual(this.tcp.token, params.token)) {
        conn.authenticated = true
        conn.clearAuthTimer()
        return { ok: true }
      }
      // A wrong token ends the connection: one guess per connection.
      ctx.afterResponse(() => { conn.close() })
      throw rpcError('UNAUTHORIZED', 'unauthorized: wrong token')
    })
    const events = this.events
    if (events !== undefined) {
      map.set('events.subscribe', async (params: { after?: number }, ctx) => {
        conn.subscription?.stop()
        const sub = new Subscription(events, conn.eventSink, {
          pageSize: this.limits.replayPageEvents,
          maxQueue: this.limits.maxLiveQueueEvents,
          slowConsumerTimeoutMs: this.limits.slowConsumerTimeoutMs,
          onError: err => { this.log('rpc.events.error', { conn: conn.id, error: String(err) }) }
        })
        conn.subscription = sub
        const cursor = await sub.open(params.after)
        if (conn.isClosed) { sub.stop(); return { cursor } }
        ctx.afterResponse(() => { sub.run() })
        return { cursor }
      })
      map.set('events.unsubscribe', () => {
        conn.subscription?.stop()
        conn.subscription = undefined
        return { ok: true }
      })
    }
    return map
  }
}

/** One client connection: framing in, dispatch, responses out, flow control. */
class Connection implements RpcConnection {
  readonly id: number
  readonly transport: TransportKind
  authenticated: boolean
  readonly signal: AbortSignal
  subscription: Subscription | undefined
  onClose: () => void = () => {}
  readonly eventSink: EventSink

  private readonly socket: net.Socket
  private readonly limits: RpcLimits
  private readonly dispatcher: Dispatcher
  private readonly builtins: ReadonlyMap<string, Handler>
  private readonly log: (event: string, fields: Record<string, unknown>) => void
  private readonly decoder: LineDecoder
  private readonly abort = new AbortController()
  private readonly pending: string[] = []
  private inflight = 0
  private unauthorizedCalls = 0
  private rejecting = false
  private closed = false
  private authTimer: NodeJS.Timeout | undefined
  private lingerTimer: NodeJS.Timeout | undefined
  private drainWaiters: Array<() => void> = []

  constructor (
    id: number, socket: net.Socket, transport: TransportKind, limits: RpcLimits, dispatcher: Dispatcher,
    builtinsFor: (c: Connection) => ReadonlyMap<string, Handler>, log: (event: string, fields: Record<string, unknown>) => void
  ) {
    this.id = id
    this.socket = socket
    this.transport = transport
    this.authenticated = transport === 'unix'
    this.signal = this.abort.signal
    this.limits = limits
    this.dispatcher = dispatcher
    this.log = log
    this.decoder = new LineDecoder(limits.maxLineBytes)
    this.builtins = builtinsFor(this)
    this.eventSink = {
      send: (e: StoredEvent) => { this.write(JSON.stringify({ jsonrpc: JSONRPC_VERSION, method: 'event', params: { cursor: e.cursor, type: e.type, data: e.data } })) },
      congested: () => this.socket.writableLength > this.limits.highWaterBytes,
      drained: async () => { await this.waitDrain() },
      closed: () => this.closed,
      fail: (reason: string) => { this.log('rpc.conn.dropped', { conn: this.id, reason }); this.destroy() }
    }
    if (transport === 'tcp') {
      socket.setNoDelay(true)
      this.authTimer = setTimeout(() => { this.log('rpc.conn.auth_timeout', { conn: this.id }); this.destroy() }, limits.authTimeoutMs)
    }
    socket.on('data', chunk => { this.handleData(chunk) })
    socket.on('drain', () => { this.handleDrain() })
    socket.on('error', () => { /* reported as close */ })
    socket.on('end', () => {
      // The peer half-closed: finish what was asked, then close.
      if (this.inflight === 0 && this.pending.length === 0) this.socket.end()
    })
    socket.on('close', () => { this.handleClose() })
  }

  get isClosed (): boolean { return this.closed }

  clearAuthTimer (): void {
    clearTimeout(this.authTimer)
    this.authTimer = undefined
  }

  close (): void {
    if (this.closed) return
    this.rejecting = true
    this.pending.length = 0
    this.socket.end()
    this.socket.resume() // keep reading, and dropping, whatever the peer still sends
    this.lingerTimer = setTimeout(() => { this.destroy() }, this.limits.rejectLingerMs)
  }

  destroy (): void {
    this.socket.destroy()
  }

  private handleData (chunk: Buffer): void {
    if (this.rejecting || this.closed) return // drained and dropped, never buffered
    const { lines, tooLong } = this.decoder.push(chunk)
    for (const line of lines) this.pending.push(line)
    if (tooLong) {
      this.rejectLine()
      return
    }
    this.maybeStart()
  }

  private rejectLine (): void {
    this.log('rpc.conn.line_too_long', { conn: this.id })
    this.pending.length = 0
    this.write(JSON.stringify({
      jsonrpc: JSONRPC_VERSION,
      id: null,
      error: { code: RpcErrorCode.INVALID_REQUEST, message: `invalid request: line longer than ${this.limits.maxLineBytes} bytes`, data: { maxLineBytes: this.limits.maxLineBytes } }
    }))
    this.close()
  }

  /** Start queued requests while below the in-flight limit (one at a time until authenticated). */
  private maybeStart (): void {
    const max = this.authenticated ? this.limits.maxInflight : 1
    while (!this.rejecting && !this.closed && this.inflight < max && this.pending.length > 0) {
      const line = this.pending.shift() as string
      this.inflight++
      void this.process(line)
      if (!this.authenticated) break
    }
    this.updateFlow()
  }

  private async process (line: string): Promise<void> {
    try {
      const outcome = await this.dispatcher.handleLine(line, this, this.builtins)
      // The reply waits for the check phase of this event-loop turn: what the call started and that runs on
      // promises alone goes first (messages.send: the envelope on the wire to the contact), the reply right after.
      await new Promise<void>(resolve => { setImmediate(resolve) })
      if (outcome.response !== undefined) this.write(outcome.response)
      for (const fn of outcome.after) fn()
      if (outcome.unauthorized > 0) {
        this.unauthorizedCalls += outcome.unauthorized
        if (this.unauthorizedCalls >= this.limits.maxUnauthenticatedCalls) this.close()
      }
    } catch (err) {
      this.log('rpc.conn.dispatch_error', { conn: this.id, error: String(err) })
    } finally {
      this.inflight--
      if (!this.closed && this.socket.readableEnded && this.inflight === 0 && this.pending.length === 0) this.socket.end()
      this.maybeStart()
    }
  }

  private write (line: string): void {
    if (this.closed || this.socket.writableEnded || this.socket.destroyed) return
    this.socket.write(line + '\n')
    if (this.socket.writableLength > this.limits.maxOutboundBytes) {
      this.log('rpc.conn.dropped', { conn: this.id, reason: 'outbound queue full' })
      this.destroy()
      return
    }
    this.updateFlow()
  }

  /** Read from the socket only while requests can be taken and replies are being read. */
  private updateFlow (): void {
    if (this.closed || this.rejecting) return
    const busy = this.pending.length >= this.limits.maxInflight || this.socket.writableLength > this.limits.highWaterBytes
    if (busy && !this.socket.isPaused()) this.socket.pause()
    else if (!busy && this.socket.isPaused()) this.socket.resume()
  }

  private handleDrain (): void {
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const w of waiters) w()
    this.updateFlow()
  }

  private async waitDrain (): Promise<void> {
    if (this.closed || this.socket.writableLength <= this.limits.highWaterBytes) return
    await new Promise<void>(resolve => { this.drainWaiters.push(resolve) })
  }

  private handleClose (): void {
    if (this.closed) return
    this.closed = true
    this.abort.abort()
    this.clearAuthTimer()
    clearTimeout(this.lingerTimer)
    this.subscription?.stop()
    this.subscription = undefined
    this.pending.length = 0
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const w of waiters) w()
    this.onClose()
  }
}

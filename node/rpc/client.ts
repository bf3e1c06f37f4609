/**
 * The client library the CLI, the TUI and the tests use: connect over the Unix socket or TCP (+ auth), call methods,
 * receive events, and reconnect on its own, resubscribing with the last cursor seen so no event is missed or
 * repeated. Owns the client side of the framing; knows nothing of what methods do.
 */
import { EventEmitter } from 'node:events'
import net from 'node:net'
import {
  DEFAULT_CALL_TIMEOUT_MS, JSONRPC_VERSION, MAX_LINE_BYTES, RECONNECT_MAX_DELAY_MS, RECONNECT_MIN_DELAY_MS
} from './constants.js'
import { RpcCallError, RpcConnectionError, RpcTimeoutError, type RpcErrorObject } from './errors.js'
import { LineDecoder } from './framing.js'

export type ConnectTarget = { socketPath: string } | { host: string, port: number, token: string }

export type ConnectOptions = ConnectTarget & {
  /** Reconnect after the connection drops (default true). Pending calls still fail with RpcConnectionError. */
  reconnect?: boolean
  callTimeoutMs?: number
  maxLineBytes?: number
  reconnectMinDelayMs?: number
  reconnectMaxDelayMs?: number
}

export interface RpcEvent {
  cursor: number
  type: string
  data: unknown
}

export interface CallOptions {
  timeoutMs?: number
  signal?: AbortSignal
}

interface Pending {
  method: string
  resolve: (value: unknown) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout
}

/**
 * Events: 'event' (RpcEvent), 'connect', 'disconnect' (Error), 'reconnect', 'error' (Error: a protocol problem such
 * as an unparseable line, or a failed resubscribe).
 */
export class RpcClient extends EventEmitter {
  private readonly opts: ConnectOptions
  private socket: net.Socket | undefined
  private decoder: LineDecoder | undefined
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private closing = false
  private connected = false
  private readyWaiters: Array<(err?: Error) => void> = []
  private reconnectTimer: NodeJS.Timeout | undefined
  private attempt = 0
  private subscribed = false
  private cursor: number | undefined

  constructor (opts: ConnectOptions) {
    super()
    this.opts = opts
  }

  /** The cursor of the last event received (what a reconnect resubscribes after). */
  get lastCursor (): number | undefined { return this.cursor }

  get isConnected (): boolean { return this.connected }

  /** Open the connection (and authenticate on TCP). Rejects if the first attempt fails. */
  async open (): Promise<void> {
    await this.dial()
  }

  /** Call a method; resolves with its result or rejects with RpcCallError (code = the JSON-RPC code). */
  async call<R = unknown>(method: string, params?: Record<string, unknown>, opts: CallOptions = {}): Promise<R> {
    if (this.closing) throw new RpcConnectionError('client closed')
    if (!this.connected) await this.whenReady(opts.timeoutMs ?? this.opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS)
    return await this.send<R>(method, params, opts)
  }

  /** A notification: no id, no answer. */
  notify (method: string, params?: Record<string, unknown>): void {
    if (!this.connected || this.socket === undefined) throw new RpcConnectionError('not connected')
    this.socket.write(JSON.stringify(params === undefined ? { jsonrpc: JSONRPC_VERSION, method } : { jsonrpc: JSONRPC_VERSION, method, params }) + '\n')
  }

  /**
   * Subscribe to events after `after` (omit: from now). Remembered: after a reconnect the client resubscribes after
   * the last cursor it saw.
   */
  async subscribe (after?: number): Promise<{ cursor: number }> {
    // The cursor is taken from the response as it is read (handleMessage), before any event that follows it.
    const res = await this.call<{ cursor: number }>('events.subscribe', after === undefined ? {} : { after })
    this.subscribed = true
    return res
  }

  async unsubscribe (): Promise<void> {
    this.subscribed = false
    await this.call('events.unsubscribe')
  }

  async close (): Promise<void> {
    this.closing = true
    clearTimeout(this.reconnectTimer)
    this.failPending(new RpcConnectionError('client closed'))
    this.failWaiters(new RpcConnectionError('client closed'))
    const s = this.socket
    if (s === undefined || s.destroyed) return
    await new Promise<void>(resolve => {
      s.once('close', () => { resolve() })
      s.end()
      setTimeout(() => { s.destroy() }, 1000).unref()
    })
  }

  private async send<R>(method: string, params: Record<string, unknown> | undefined, opts: CallOptions): Promise<R> {
    const socket = this.socket
    if (socket === undefined || !this.connected) throw new RpcConnectionError('not connected')
    const id = this.nextId++
    const timeoutMs = opts.timeoutMs ?? this.opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS
    return await new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new RpcTimeoutError(method))
      }, timeoutMs)
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject, timer })
      opts.signal?.addEventListener('abort', () => {
        if (this.pending.delete(id)) { clearTimeout(timer); reject(new RpcConnectionError('call aborted')) }
      }, { once: true })
      const msg = params === undefined ? { jsonrpc: JSONRPC_VERSION, id, method } : { jsonrpc: JSONRPC_VERSION, id, method, params }
      socket.write(JSON.stringify(msg) + '\n')
    })
  }

  private async whenReady (timeoutMs: number): Promise<void> {
    if (this.connected) return
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter(w => w !== waiter)
        reject(new RpcConnectionError('not connected'))
      }, timeoutMs)
      const waiter = (err?: Error): void => { clearTimeout(timer); if (err !== undefined) reject(err); else resolve() }
      this.readyWaiters.push(waiter)
    })
  }

  private async dial (): Promise<void> {
    const socket = 'socketPath' in this.opts ? net.connect(this.opts.socketPath) : net.connect({ host: this.opts.host, port: this.opts.port })
    this.socket = socket
    this.decoder = new LineDecoder(this.opts.maxLineBytes ?? MAX_LINE_BYTES)
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => { socket.off('error', reject); resolve() })
      socket.once('error', reject)
    })
    if ('host' in this.opts) socket.setNoDelay(true)
    socket.on('data', chunk => { this.handleData(chunk) })
    socket.on('error', () => {})
    socket.on('close', () => { this.handleClose(socket) })
    this.connected = true
    try {
      if ('token' in this.opts) await this.send('auth', { token: this.opts.token }, {})
      if (this.subscribed) {
        await this.send('events.subscribe', this.cursor === undefined ? {} : { after: this.cursor }, {})
      }
    } catch (err) {
      this.connected = false
      socket.destroy()
      throw err
    }
    this.attempt = 0
    const waiters = this.readyWaiters
    this.readyWaiters = []
    for (const w of waiters) w()
    this.emit('connect')
  }

  private handleData (chunk: Buffer): void {
    if (this.decoder === undefined) return
    const { lines, tooLong } = this.decoder.push(chunk)
    for (const line of lines) this.handleLine(line)
    if (tooLong) {
      this.emit('error', new RpcConnectionError('server sent a line over the limit'))
      this.socket?.destroy()
    }
  }

  private handleLine (line: string): void {
    let msg: Record<string, unknown>
    try {
      msg = JSON.parse(line)
    } catch {
      this.emit('error', new RpcConnectionError('server sent invalid JSON'))
      return
    }
    if (Array.isArray(msg)) { for (const m of msg) this.handleMessage(m as Record<string, unknown>); return }
    this.handleMessage(msg)
  }

  private handleMessage (msg: Record<string, unknown>): void {
    if (msg === null || typeof msg !== 'object') return
    if (msg.method === 'event' && msg.id === undefined) {
      const e = msg.params as RpcEvent
      if (e === null || typeof e !== 'object' || typeof e.cursor !== 'number') return
      if (this.cursor !== undefined && e.cursor <= this.cursor) return // already seen (belt and braces)
      this.cursor = e.cursor
      this.emit('event', e)
      return
    }
    if (typeof msg.id !== 'number') {
      // Errors with id null: a parse error or an over-long line the server rejected as a whole.
      if (msg.error !== undefined) this.emit('error', new RpcCallError(msg.error as RpcErrorObject))
      return
    }
    const p = this.pending.get(msg.id)
    if (p === undefined) return
    this.pending.delete(msg.id)
    clearTimeout(p.timer)
    if (msg.error !== undefined) { p.reject(new RpcCallError(msg.error as RpcErrorObject)); return }
    if (p.method === 'events.subscribe') {
      const c = (msg.result as { cursor?: unknown } | null)?.cursor
      if (typeof c === 'number') this.cursor = c
    }
    p.resolve(msg.result)
  }

  private handleClose (socket: net.Socket): void {
    if (socket !== this.socket) return
    const wasConnected = this.connected
    this.connected = false
    this.failPending(new RpcConnectionError('connection closed'))
    if (wasConnected) this.emit('disconnect', new RpcConnectionError('connection closed'))
    if (this.closing || this.opts.reconnect === false) {
      this.failWaiters(new RpcConnectionError('connection closed'))
      return
    }
    if (wasConnected) this.scheduleReconnect()
  }

  private scheduleReconnect (): void {
    const min = this.opts.reconnectMinDelayMs ?? RECONNECT_MIN_DELAY_MS
    const max = this.opts.reconnectMaxDelayMs ?? RECONNECT_MAX_DELAY_MS
    const delay = Math.min(max, min * 2 ** Math.min(this.attempt, 16))
    this.attempt++
    this.reconnectTimer = setTimeout(() => {
      if (this.closing) return
      this.dial().then(() => { this.emit('reconnect') }, () => { if (!this.closing) this.scheduleReconnect() })
    }, delay)
  }

  private failPending (err: Error): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer)
      p.reject(err)
      this.pending.delete(id)
    }
  }

  private failWaiters (err: Error): void {
    const waiters = this.readyWaiters
    this.readyWaiters = []
    for (const w of waiters) w(err)
  }
}

/** Connect (and authenticate on TCP); resolves once the first call can be made. */
export async function connect (opts: ConnectOptions): Promise<RpcClient> {
  const client = new RpcClient(opts)
  await client.open()
  return client
}

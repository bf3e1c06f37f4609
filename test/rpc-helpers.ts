/** Shared fixtures of the test/rpc*.test.ts files: temp homes, a server, raw line sockets, schema-valid fake handlers. */
import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import type { Test } from 'tap'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createRpcServer, Dispatcher, rpcError, type DispatcherInit, type EventSource, type Handler, type RpcLimits, type RpcServer,
  type TcpListenInit
} from '../node/rpc/index.js'

interface Teardown { teardown: (fn: () => unknown) => void }

export async function tmpHome (t: Teardown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tern-rpc-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

export interface Started {
  server: RpcServer
  dispatcher: Dispatcher
  home: string
  socketPath: string
}

export async function startServer (t: Teardown, opts: {
  dispatcher?: Dispatcher
  dispatcherInit?: DispatcherInit
  events?: EventSource
  tcp?: TcpListenInit
  limits?: Partial<RpcLimits>
  unix?: boolean
  fakes?: boolean
} = {}): Promise<Started> {
  const home = await tmpHome(t)
  const dispatcher = opts.dispatcher ?? new Dispatcher(opts.dispatcherInit)
  if (opts.fakes !== false && opts.dispatcher === undefined) registerFakes(dispatcher)
  const server = createRpcServer({
    dispatcher,
    ...(opts.unix === false ? {} : { home }),
    ...(opts.events !== undefined ? { events: opts.events } : {}),
    ...(opts.tcp !== undefined ? { tcp: opts.tcp } : {}),
    ...(opts.limits !== undefined ? { limits: opts.limits } : {})
  })
  await server.start()
  t.teardown(async () => { await server.stop() })
  return { server, dispatcher, home, socketPath: join(home, 'rpc.sock') }
}

/** A raw newline-JSON socket for poking the server byte by byte. */
export class RawConn {
  readonly socket: net.Socket
  private buf = ''
  private readonly lines: string[] = []
  private waiters: Array<() => void> = []
  ended = false
  readonly closed: Promise<void>

  constructor (socket: net.Socket) {
    this.socket = socket
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => {
      this.buf += d
      let i
      while ((i = this.buf.indexOf('\n')) !== -1) {
        this.lines.push(this.buf.slice(0, i))
        this.buf = this.buf.slice(i + 1)
      }
      this.wake()
    })
    socket.on('error', () => {})
    this.closed = new Promise(resolve => { socket.on('close', () => { this.ended = true; this.wake(); resolve() }) })
  }

  static async open (target: string | { host: string, port: number }): Promise<RawConn> {
    const socket = typeof target === 'string' ? net.connect(target) : net.connect(target)
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
    return new RawConn(socket)
  }

  private wake (): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  send (value: unknown): void {
    this.socket.write((typeof value === 'string' ? value : JSON.stringify(value)) + '\n')
  }

  /** The next line, parsed; rejects when the socket closes first or after timeoutMs. */
  async next (timeoutMs = 5000): Promise<any> {
    const deadline = Date.now() + timeoutMs
    while (this.lines.length === 0) {
      if (this.ended) throw new Error('closed')
      const left = deadline - Date.now()
      if (left <= 0) throw new Error('timeout waiting for a line')
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => { clearTimeout(timer); resolve() })
      })
    }
    return JSON.parse(this.lines.shift() as string)
  }

  /** Send a request and wait for the next line. */
  async call (method: string, params?: unknown, id: number | string = 1): Promise<any> {
    this.send(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params })
    return await this.next()
  }

  get pendingLines (): number { return this.lines.length }

  close (): void { this.socket.destroy() }
}

const CONTACT = (id: string, name = 'Alice'): Record<string, unknown> => ({
  id,
  peerId: '12D3KooWExample' + id,
  name,
  fingerprint: 'abcd ef01',
  state: 'established',
  verified: false,
  blocked: false,
  online: false,
  lastSeen: null,
  unread: 0,
  createdAt: 1_700_000_000_000
})

/** Schema-valid stand-ins for every node method, so the transport can be exercised end to end. */
export function registerFakes (d: Dispatcher): void {
  const contacts = new Map<string, Record<string, unknown>>([['c1', CONTACT('c1')]])
  const get = (id: string): Record<string, unknown> => {
    const c = contacts.get(id)
    if (c === undefined) throw Object.assign(new Error('no such contact'), { code: 'ERR_UNKNOWN_CONTACT' })
    return c
  }
  let seq = 0
  const handlers: Record<string, Handler> = {
    'node.init': () => { throw Object.assign(new Error('already initialised'), { code: 'ERR_ALREADY_INITIALISED' }) },
    'node.unlock': (p: { passphrase: string }) => {
      if (p.passphrase !== 'correct horse') throw Object.assign(new Error('wrong passphrase'), { code: 'ERR_WRONG_PASSPHRASE' })
      return { locked: false, initialised: true }
    },
    'node.status': () => ({ locked: false, initialised: true, peerId: '12D3KooWSelf', name: 'me', online: true, peers: 1, addresses: [], version: '0.1.0', uptimeSeconds: 1 }),
    'invite.create': () => ({ invite: 'tern1invite', expiresAt: 1_700_000_600_000 }),
    'contacts.add': (p: { invite: string, name?: string }) => {
      if (p.invite === 'expired') throw Object.assign(new Error('invite expired'), { code: 'ERR_INVITE_EXPIRED' })
      if (p.invite === 'used') throw Object.assign(new Error('invite used'), { code: 'ERR_INVITE_USED' })
      if (!p.invite.startsWith('tern1')) throw Object.assign(new Error('bad invite'), { code: 'ERR_INVITE_FORMAT' })
      const c = CONTACT(`c${contacts.size + 1}`, p.name ?? 'New')
      contacts.set(c.id as string, c)
      return c
    },
    'contacts.list': () => ({ contacts: [...contacts.values()] }),
    'contacts.get': (p: { id: string }) => get(p.id),
    'contacts.rename': (p: { id: string, name: string }) => { const c = get(p.id); c.name = p.name; return c },
    'contacts.block': (p: { id: string }) => { const c = get(p.id); c.blocked = true; return c },
    'contacts.unblock': (p: { id: string }) => { const c = get(p.id); c.blocked = false; return c },
    'contacts.remove': (p: { id: string }) => { get(p.id); contacts.delete(p.id); return { removed: true } },
    'contacts.safetyNumber': (p: { id: string }) => { get(p.id); return { safetyNumber: '12345 67890' } },
    'contacts.verify': (p: { id: string }) => { const c = get(p.id); c.verified = true; return c },
    'messages.send': (p: { to: string, text: string }) => {
      const c = get(p.to)
      if (c.blocked === true) throw Object.assign(new Error('blocked'), { code: 'ERR_CONTACT_BLOCKED' })
      if (Buffer.byteLength(p.text) > 32 * 1024) throw Object.assign(new Error('too large'), { code: 'ERR_MESSAGE_TOO_LARGE' })
      return { id: `m${++seq}`, with: p.to, seq, direction: 'out', text: p.text, sentAt: 1, receivedAt: null, status: 'queued', path: null }
    },
    'messages.list': (p: { with: string }) => { get(p.with); return { messages: [] } },
    'messages.markRead': (p: { with: string }) => { get(p.with); return { updated: 0 } }
  }
  d.registerAll(handlers)
}

export function rpcCall (method: string, params?: unknown, id: number | string = 1): Record<string, unknown> {
  return params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params }
}

export { rpcError }

/**
 * The EventSource contract (node/rpc/events.ts), for any implementation: the in-memory one here, the LevelDB one in
 * its own test. `make` returns a fresh empty source and a way to append to it.
 */
export function eventSourceCompliance (
  t: Test,
  name: string,
  make: () => Promise<{ source: EventSource, append: (type: string, data: unknown) => Promise<{ cursor: number }> | { cursor: number } }>
): void {
  t.test(`EventSource contract: ${name}`, async t => {
    const { source, append } = await make()
    t.equal(await source.head(), 0, 'empty head is 0')
    t.same(await source.readAfter(0, 10), [], 'empty read')
    const seen: number[] = []
    let visibleWhenNotified = true
    const unsub = source.subscribe(e => {
      seen.push(e.cursor)
      void Promise.resolve(source.readAfter(e.cursor - 1, 1000)).then(page => {
        if (!page.some(p => p.cursor === e.cursor)) visibleWhenNotified = false
      })
    })
    const cursors: number[] = []
    for (let i = 0; i < 50; i++) cursors.push((await append('message.received', { i })).cursor)
    for (let i = 1; i < cursors.length; i++) t.ok((cursors[i] as number) > (cursors[i - 1] as number), 'cursors increase')
    t.same(seen, cursors, 'listener sees every append, in order')
    await new Promise(resolve => setTimeout(resolve, 10))
    t.ok(visibleWhenNotified, 'an event is readable when its listener runs')
    t.equal(await source.head(), cursors[49])
    const page = await source.readAfter(cursors[9] as number, 5)
    t.same(page.map(e => e.cursor), cursors.slice(10, 15), 'readAfter is exclusive, ascending, limited')
    t.same((page[0] as { data: unknown }).data, { i: 10 })
    t.same(await source.readAfter(cursors[49] as number, 5), [], 'nothing after the head')
    unsub()
    await append('node.status', {})
    t.equal(seen.length, 50, 'unsubscribed listeners hear nothing')
  })
}

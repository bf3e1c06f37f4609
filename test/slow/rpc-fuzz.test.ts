/**
 * Fuzz the live server (docs/API.md): well over 100,000 random and mutated requests — valid calls with mutated params,
 * byte-level mutations, random JSON, batches, notifications, deep nesting, invalid UTF-8 — over several pipelined
 * Unix connections. Every line back must be a JSON-RPC response (or an event notification) with a documented code,
 * the server must keep serving, and its memory must stay bounded. Seeded: TERN_FUZZ_SEED=<n> replays a run.
 */
import t from 'tap'
import { Dispatcher, MemoryEventSource, METHODS, RpcErrorCode } from '../../node/rpc/index.js'
import { RawConn, registerFakes, startServer } from '../rpc-helpers.js'

t.setTimeout(600_000)

const TOTAL = Number(process.env.TERN_FUZZ_REQUESTS ?? 120_000)
const CONNECTIONS = 4
const CHUNK = 250
const seed = Number(process.env.TERN_FUZZ_SEED ?? Date.now() % 2 ** 31)

/** mulberry32: small, seeded, good enough to pick mutations. */
function prng (s: number): () => number {
  return () => {
    s = (s + 0x6d2b79f5) | 0
    let x = Math.imul(s ^ (s >>> 15), 1 | s)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}
const rnd = prng(seed)
const int = (n: number): number => Math.floor(rnd() * n)
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T

const VALID_PARAMS: Record<string, unknown> = {
  auth: { token: 'x'.repeat(20) },
  'node.init': { name: 'me', passphrase: 'pw' },
  'node.unlock': { passphrase: 'correct horse' },
  'invite.create': { expiresInSeconds: 3600 },
  'contacts.add': { invite: 'tern1abc', name: 'Bob' },
  'contacts.get': { id: 'c1' },
  'contacts.rename': { id: 'c1', name: 'Al' },
  'contacts.block': { id: 'c2' },
  'contacts.unblock': { id: 'c2' },
  'contacts.remove': { id: 'c9' },
  'contacts.safetyNumber': { id: 'c1' },
  'contacts.verify': { id: 'c1' },
  'messages.send': { to: 'c1', text: 'hello', idempotencyKey: 'k1' },
  'messages.list': { with: 'c1', before: 10, limit: 20 },
  'messages.markRead': { with: 'c1', upTo: 5 },
  'events.subscribe': { after: 0 }
}

function randomValue (depth = 0): unknown {
  switch (int(depth > 3 ? 6 : 9)) {
    case 0: return null
    case 1: return rnd() < 0.5
    case 2: return pick([0, -1, 1.5, 2 ** 53, -(2 ** 60), 1e308, 42, Number.MAX_SAFE_INTEGER])
    case 3: return pick(['', 'c1', 'a'.repeat(int(300)), '🦅', '\u0000', '__proto__', 'constructor', 'é'.repeat(70)])
    case 4: return rnd() < 0.1 ? 'x'.repeat(int(70000)) : 'x'.repeat(int(100))
    case 5: return int(1000)
    case 6: return Array.from({ length: int(5) }, () => randomValue(depth + 1))
    default: {
      const o: Record<string, unknown> = {}
      for (let i = 0; i < int(5); i++) o[pick(['id', 'to', 'text', 'name', 'after', 'limit', '__proto__', 'x', 'with', 'upTo'])] = randomValue(depth + 1)
      return o
    }
  }
}

function validRequest (id: number): Record<string, unknown> {
  const method = pick(METHODS).name
  const params = VALID_PARAMS[method]
  return params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params: structuredClone(params) }
}

function mutateObject (req: Record<string, unknown>): unknown {
  const r: Record<string, unknown> = { ...req }
  switch (int(8)) {
    case 0: delete r[pick(['jsonrpc', 'id', 'method', 'params'])]; break
    case 1: r[pick(['jsonrpc', 'id', 'method', 'params'])] = randomValue(); break
    case 2: if (typeof r.params === 'object' && r.params !== null) (r.params as Record<string, unknown>)[pick(['id', 'to', 'text', 'name', 'after', 'limit', 'zz'])] = randomValue(); break
    case 3: r.method = pick(['', 'nope', 'contacts', 'rpc.discover', 'events.subscribe', 'x'.repeat(500), 'node.status\u0000']); break
    case 4: r.extra = randomValue(); break
    case 5: r.params = randomValue(); break
    case 6: return [r, validRequest(int(1e6)), randomValue()]
    default: return Array.from({ length: int(70) }, () => rnd() < 0.5 ? validRequest(int(1e6)) : randomValue())
  }
  return r
}

function mutateBytes (s: string): string {
  const chars = [...s]
  for (let k = 0; k < 1 + int(4); k++) {
    const i = int(chars.length + 1)
    switch (int(5)) {
      case 0: chars.splice(i, 1); break
      case 1: chars.splice(i, 0, pick(['{', '}', '[', ']', '"', ',', ':', '\\', '\u00ff', '\ud800', '0', 'e9', 'null'])); break
      case 2: chars.splice(i, 0, ...chars.slice(int(chars.length), int(chars.length))); break
      case 3: chars[i] = String.fromCharCode(int(0x10000)); break
      default: chars.length = Math.min(chars.length, i)
    }
  }
  return chars.join('').replace(/\n/g, ' ')
}

function nextLine (id: number): string | Buffer {
  const k = rnd()
  if (k < 0.25) return JSON.stringify(validRequest(id))
  if (k < 0.6) return JSON.stringify(mutateObject(validRequest(id)))
  if (k < 0.9) return mutateBytes(JSON.stringify(validRequest(id)))
  if (k < 0.9003) return '"' + 'y'.repeat(1_500_000) + '"'
  if (k < 0.902) { const n = rnd() < 0.1 ? 100000 : int(5000); return '['.repeat(n) + ']'.repeat(int(n + 2)) }
  if (k < 0.96) return Buffer.from(Array.from({ length: int(200) }, () => int(256)).filter(b => b !== 0x0a))
  return JSON.stringify(randomValue())
}

const CODES = new Set<number>(Object.values(RpcErrorCode))

function checkMessage (m: any): string | undefined {
  if (m === null || typeof m !== 'object') return 'not an object'
  if (m.jsonrpc !== '2.0') return 'no jsonrpc'
  if (m.method === 'event') return typeof m.params?.cursor === 'number' ? undefined : 'bad event'
  if (!('id' in m)) return 'no id'
  if ('error' in m) {
    if (!Number.isInteger(m.error.code) || !CODES.has(m.error.code)) return `undocumented code ${m.error?.code}`
    if (m.error.code === RpcErrorCode.INTERNAL_ERROR) return 'internal error'
    return typeof m.error.message === 'string' ? undefined : 'no message'
  }
  return 'result' in m ? undefined : 'neither result nor error'
}

t.test(`fuzz: ${TOTAL} requests, seed ${seed}`, { timeout: 600_000 }, async t => {
  const events = new MemoryEventSource()
  for (let i = 0; i < 10; i++) events.append('node.status', { status: { locked: false } })
  const internal: unknown[] = []
  const d = new Dispatcher({ onInternalError: err => { internal.push(err) } })
  registerFakes(d)
  const { socketPath, server } = await startServer(t, { dispatcher: d, events })
  const appender = setInterval(() => { events.append('contact.presence', { id: 'c1', online: true, lastSeen: 1 }) }, 50)
  t.teardown(() => { clearInterval(appender) })
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {}) // precise with node --expose-gc
  gc()
  const heap0 = process.memoryUsage().heapUsed
  let sent = 0
  let lines = 0
  let reconnects = 0
  const bad: string[] = []

  async function worker (w: number): Promise<void> {
    let c = await RawConn.open(socketPath)
    let round = 0
    while (sent < TOTAL) {
      const sentinel = `s-${w}-${round++}`
      const parts: Array<string | Buffer> = []
      for (let i = 0; i < CHUNK; i++) parts.push(nextLine(i), '\n')
      sent += CHUNK
      parts.push(JSON.stringify({ jsonrpc: '2.0', id: sentinel, method: 'node.status' }), '\n')
      for (const p of parts) c.socket.write(p)
      for (;;) {
        let m: any
        try { m = await c.next(10_000) } catch {
          // The server closed us (an over-long line): that is allowed. Reconnect and carry on.
          c.close()
          c = await RawConn.open(socketPath)
          reconnects++
          break
        }
        lines++
        for (const one of Array.isArray(m) ? m : [m]) {
          const why = checkMessage(one)
          if (why !== undefined && bad.length < 20) bad.push(`${why}: ${JSON.stringify(one).slice(0, 200)}`)
        }
        if (!Array.isArray(m) && m.id === sentinel) break
      }
    }
    c.close()
  }

  const started = Date.now()
  await Promise.all(Array.from({ length: CONNECTIONS }, async (_, w) => { await worker(w) }))
  const secs = (Date.now() - started) / 1000
  t.same(bad, [], 'every line is a documented JSON-RPC response or an event')
  t.same(internal.map(String), [], 'no handler hit an internal error')
  t.ok(sent >= 100_000, `${sent} requests sent`)
  t.comment(`${sent} requests, ${lines} lines back, ${reconnects} reconnects, ${Math.round(sent / secs)} req/s`)
  const probe = await RawConn.open(socketPath)
  t.equal((await probe.call('node.status')).result.locked, false, 'the server still serves')
  probe.close()
  await new Promise(resolve => setTimeout(resolve, 100))
  gc()
  const grew = process.memoryUsage().heapUsed - heap0
  t.comment(`heap grew ${(grew / 1e6).toFixed(1)} MB; ${server.connectionCount()} connections left`)
  const exact = (globalThis as { gc?: unknown }).gc !== undefined
  t.ok(grew < (exact ? 32 : 200) * 1024 * 1024, `heap bounded${exact ? ' (after gc)' : ''}`)
})

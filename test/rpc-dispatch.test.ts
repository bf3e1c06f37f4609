/**
 * Dispatch without sockets (docs/API.md §Errors, §Batches, §Locked mode): request checks, every standard error code,
 * the application codes through typed errors, batches and notifications, locked gating, the auth gate, registry rules,
 * result validation, and the OpenRPC document staying in step with docs/openrpc.json.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import {
  Dispatcher, METHODS, RegistryError, RpcErrorCode, TYPED_ERROR_CODES, rpcCodeFor, toRpcErrorObject, type RpcConnection
} from '../node/rpc/index.js'
import { registerFakes } from './rpc-helpers.js'

function conn (over: Partial<RpcConnection> = {}): RpcConnection {
  return { id: 1, transport: 'unix', authenticated: true, signal: new AbortController().signal, close: () => {}, ...over }
}

async function send (d: Dispatcher, value: unknown, c: RpcConnection = conn()): Promise<any> {
  const out = await d.handleLine(typeof value === 'string' ? value : JSON.stringify(value), c)
  return out.response === undefined ? undefined : JSON.parse(out.response)
}

const req = (method: string, params?: unknown, id: unknown = 1): Record<string, unknown> =>
  params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params }

function fakes (init = {}): Dispatcher {
  const d = new Dispatcher(init)
  registerFakes(d)
  return d
}

t.test('standard JSON-RPC errors', async t => {
  const d = fakes()
  t.same(await send(d, '{"jsonrpc":"2.0",'), { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error: not valid JSON' } })
  t.equal((await send(d, 'null')).error.code, RpcErrorCode.INVALID_REQUEST)
  t.equal((await send(d, '42')).error.code, RpcErrorCode.INVALID_REQUEST)
  t.equal((await send(d, { id: 1, method: 'node.status' })).error.code, RpcErrorCode.INVALID_REQUEST, 'no jsonrpc')
  t.equal((await send(d, { jsonrpc: '1.0', id: 1, method: 'node.status' })).error.code, RpcErrorCode.INVALID_REQUEST)
  t.equal((await send(d, { jsonrpc: '2.0', id: 1, method: 7 })).error.code, RpcErrorCode.INVALID_REQUEST)
  t.equal((await send(d, { jsonrpc: '2.0', id: { a: 1 }, method: 'node.status' })).id, null, 'bad id answers id null')
  t.equal((await send(d, { jsonrpc: '2.0', id: 1, method: 'node.status', extra: 1 })).error.code, RpcErrorCode.INVALID_REQUEST)
  t.equal((await send(d, req('node.status', 'x'))).error.code, RpcErrorCode.INVALID_REQUEST, 'params a string')
  t.equal((await send(d, req('node.status', null))).error.code, RpcErrorCode.INVALID_REQUEST, 'params null')
  const nf = await send(d, req('nope.nope', {}, 'abc'))
  t.same(nf, { jsonrpc: '2.0', id: 'abc', error: { code: -32601, message: 'method not found' } })
  t.equal((await send(d, req('__proto__'))).error.code, RpcErrorCode.METHOD_NOT_FOUND)
  t.equal((await send(d, req('toString'))).error.code, RpcErrorCode.METHOD_NOT_FOUND)
  t.equal((await send(d, req('contacts.get', ['c1']))).error.code, RpcErrorCode.INVALID_PARAMS, 'positional params')
  const bad = await send(d, req('contacts.get', { id: 5, extra: true }))
  t.equal(bad.error.code, RpcErrorCode.INVALID_PARAMS)
  t.same(bad.error.data.errors.map((e: any) => e.path).sort(), ['params.extra', 'params.id'])
  t.equal((await send(d, req('contacts.get', {}))).error.data.errors[0].message, 'required')
  t.equal((await send(d, req('messages.list', { with: 'c1', limit: 0 }))).error.code, RpcErrorCode.INVALID_PARAMS, 'integer range')
  t.equal((await send(d, req('messages.list', { with: 'c1', limit: 1.5 }))).error.code, RpcErrorCode.INVALID_PARAMS, 'not an integer')
  t.equal((await send(d, req('contacts.rename', { id: 'c1', name: 'é'.repeat(33) }))).error.code, RpcErrorCode.INVALID_PARAMS, 'name over 64 bytes')
  t.equal((await send(d, req('contacts.rename', { id: 'c1', name: 'é'.repeat(32) }))).result.name, 'é'.repeat(32), 'name of 64 bytes')
  t.equal((await send(d, req('messages.send', { to: 'c1', text: 'x'.repeat(65537) }))).error.code, RpcErrorCode.INVALID_PARAMS)
})

t.test('an id of 0, a string id and a null id are echoed', async t => {
  const d = fakes()
  t.equal((await send(d, req('node.status', undefined, 0))).id, 0)
  t.equal((await send(d, req('node.status', undefined, 'x'))).id, 'x')
  t.equal((await send(d, req('node.status', undefined, null))).id, null)
})

t.test('application codes through typed errors', async t => {
  const d = fakes()
  const code = async (method: string, params: unknown): Promise<number> => (await send(d, req(method, params))).error.code
  t.equal(await code('contacts.get', { id: 'zz' }), RpcErrorCode.UNKNOWN_CONTACT)
  t.equal(await code('contacts.add', { invite: 'garbage' }), RpcErrorCode.BAD_INVITE)
  t.equal(await code('contacts.add', { invite: 'expired' }), RpcErrorCode.EXPIRED_INVITE)
  t.equal(await code('contacts.add', { invite: 'used' }), RpcErrorCode.USED_INVITE)
  t.equal(await code('node.unlock', { passphrase: 'nope' }), RpcErrorCode.WRONG_PASSPHRASE)
  t.equal(await code('node.init', { name: 'me', passphrase: 'pw' }), RpcErrorCode.ALREADY_INITIALISED)
  t.equal(await code('messages.send', { to: 'c1', text: 'x'.repeat(40000) }), RpcErrorCode.MESSAGE_TOO_LARGE)
  await send(d, req('contacts.block', { id: 'c1' }))
  t.equal(await code('messages.send', { to: 'c1', text: 'hi' }), RpcErrorCode.BLOCKED)
  const e = await send(d, req('contacts.get', { id: 'zz' }))
  t.same(e.error.data, { code: 'ERR_UNKNOWN_CONTACT' }, 'the typed code travels in data.code')
})

t.test('typed error mapping', async t => {
  for (const [typed, rpc] of Object.entries(TYPED_ERROR_CODES)) t.equal(rpcCodeFor(typed), rpc, typed)
  t.equal(rpcCodeFor('ERR_INVITE_BAD_SIGNATURE'), RpcErrorCode.BAD_INVITE, 'any ERR_INVITE_* is a bad invite')
  t.equal(rpcCodeFor('ERR_SOMETHING'), undefined)
  const secret = toRpcErrorObject(new Error('key=deadbeef'))
  t.same(secret, { code: RpcErrorCode.INTERNAL_ERROR, message: 'internal error' }, 'unmapped errors carry no detail')
  t.same(toRpcErrorObject('thrown string'), { code: RpcErrorCode.INTERNAL_ERROR, message: 'internal error' })
  const codes = Object.values(RpcErrorCode)
  t.equal(new Set(codes).size, codes.length, 'codes are unique')
  for (const c of codes) t.ok((c >= -32099 && c <= -32000) || (c >= -32768 && c <= -32600), `code ${c} in a JSON-RPC range`)
})

t.test('internal errors: handler throws, bad result, unencodable result', async t => {
  const seen: string[] = []
  const d = new Dispatcher({ onInternalError: (_e, m) => { seen.push(m) } })
  d.register('contacts.list', () => { throw new Error('boom') })
  d.register('contacts.get', () => ({ not: 'a contact' }))
  d.register('invite.create', () => ({ invite: 'x', expiresAt: 10n }))
  d.register('messages.list', () => undefined)
  t.equal((await send(d, req('contacts.list'))).error.code, RpcErrorCode.INTERNAL_ERROR)
  t.equal((await send(d, req('contacts.get', { id: 'a' }))).error.code, RpcErrorCode.INTERNAL_ERROR, 'result outside its schema')
  t.equal((await send(d, req('invite.create'))).error.code, RpcErrorCode.INTERNAL_ERROR, 'BigInt in result')
  t.equal((await send(d, req('messages.list', { with: 'a' }))).error.code, RpcErrorCode.INTERNAL_ERROR, 'undefined result')
  t.same(seen, ['contacts.list', 'contacts.get', 'invite.create', 'messages.list'])
  const loose = new Dispatcher({ validateResults: false })
  loose.register('contacts.get', () => ({ not: 'a contact' }))
  t.same((await send(loose, req('contacts.get', { id: 'a' }))).result, { not: 'a contact' }, 'validateResults: false')
  loose.register('invite.create', () => ({ invite: 'x', expiresAt: 10n }))
  const batch = await send(loose, [req('invite.create', undefined, 1), req('contacts.get', { id: 'a' }, 2)])
  t.equal(batch[0].error.code, RpcErrorCode.INTERNAL_ERROR, 'unencodable entry becomes an internal error')
  t.same(batch[1].result, { not: 'a contact' }, 'the rest of the batch survives')
})

t.test('batches and notifications', async t => {
  const d = fakes()
  t.equal((await send(d, [])).error.code, RpcErrorCode.INVALID_REQUEST, 'empty batch')
  const big = await send(d, Array.from({ length: 65 }, (_, i) => req('node.status', undefined, i)))
  t.equal(big.error.code, RpcErrorCode.INVALID_REQUEST, 'batch over MAX_BATCH_ENTRIES')
  t.same(big.error.data, { maxBatchEntries: 64 })
  const mixed = await send(d, [req('contacts.get', { id: 'c1' }, 1), { jsonrpc: '2.0', method: 'node.status' }, 5, req('nope', {}, 3)])
  t.equal(mixed.length, 3, 'the notification gets no entry')
  t.equal(mixed[0].result.id, 'c1')
  t.equal(mixed[1].error.code, RpcErrorCode.INVALID_REQUEST)
  t.equal(mixed[2].error.code, RpcErrorCode.METHOD_NOT_FOUND)
  t.equal(await send(d, [{ jsonrpc: '2.0', method: 'node.status' }]), undefined, 'all-notification batch: no reply')
  t.equal(await send(d, { jsonrpc: '2.0', method: 'nope' }), undefined, 'notification of an unknown method: no reply')
  // In-order: rename then get in one batch sees the rename.
  const seq = await send(d, [req('contacts.rename', { id: 'c1', name: 'Bob' }, 1), req('contacts.get', { id: 'c1' }, 2)])
  t.equal(seq[1].result.name, 'Bob', 'batch entries run in order')
})

t.test('locked mode', async t => {
  let locked = true
  const d = new Dispatcher({ isLocked: () => locked })
  d.register('node.unlock', () => { locked = false; return { locked: false, initialised: true } })
  d.register('contacts.list', () => ({ contacts: [] }))
  t.same((await send(d, req('node.status'))).result, { locked: true }, 'default node.status while locked')
  const c = await send(d, req('contacts.list'))
  t.equal(c.error.code, RpcErrorCode.LOCKED)
  t.equal((await send(d, req('events.subscribe', {}))).error.code, RpcErrorCode.LOCKED)
  t.equal((await send(d, req('node.init', { name: 'a', passphrase: 'b' }))).error.code, RpcErrorCode.METHOD_NOT_FOUND, 'init allowed, just not registered here')
  t.ok((await send(d, req('rpc.discover'))).result.openrpc, 'rpc.discover while locked')
  t.equal((await send(d, req('node.unlock', { passphrase: 'x' }))).result.locked, false)
  t.same((await send(d, req('contacts.list'))).result, { contacts: [] }, 'served once unlocked')
  for (const m of METHODS) {
    if (m.servedWhenLocked === true) t.ok(['auth', 'rpc.discover', 'node.init', 'node.unlock', 'node.status'].includes(m.name), `${m.name} served when locked`)
  }
})

t.test('auth gate on unauthenticated connections', async t => {
  const d = fakes()
  const c = conn({ transport: 'tcp', authenticated: false })
  for (const m of ['node.status', 'nope', 'rpc.discover', 'contacts.list']) {
    const r = await send(d, req(m), c)
    t.equal(r.error.code, RpcErrorCode.UNAUTHORIZED, `${m} refused`)
    t.notOk('data' in r.error, 'nothing but the error')
  }
  const out = await d.handleLine(JSON.stringify([req('node.status', undefined, 1), req('nope', undefined, 2)]), c)
  t.equal(out.unauthorized, 2, 'counted for the server')
})

t.test('registry', async t => {
  const d = new Dispatcher()
  t.throws(() => d.register('secret.method', () => 1), RegistryError, 'undocumented method')
  d.register('contacts.list', () => ({ contacts: [] }))
  t.throws(() => d.register('contacts.list', () => 1), RegistryError, 'twice')
  t.throws(() => d.register('rpc.discover', () => 1), RegistryError, 'built in')
  t.same(d.served(), ['contacts.list', 'node.status', 'rpc.discover'])
  for (const name of d.served()) t.ok(d.spec(name), `${name} is documented`)
  t.equal(d.documented().length, METHODS.length)
  t.ok(d.unregister('contacts.list'))
  t.equal((await send(d, req('contacts.list'))).error.data.reason, 'not served by this node')
})

t.test('the OpenRPC document is generated and committed', async t => {
  const d = new Dispatcher()
  const doc = d.openRpc() as any
  t.equal(doc.openrpc, '1.3.2')
  t.same(doc.methods.map((m: any) => m.name), [...METHODS.map(m => m.name)].sort((a, b) => a.localeCompare(b)))
  const send = doc.methods.find((m: any) => m.name === 'messages.send')
  t.same(send.params.map((p: any) => [p.name, p.required]), [['to', true], ['text', true], ['idempotencyKey', false]])
  t.equal(doc.components.schemas.Contact.properties.state.enum.length, 3)
  t.equal(doc.components.errors.LOCKED.code, RpcErrorCode.LOCKED)
  const committed = JSON.parse(readFileSync(new URL('../docs/openrpc.json', import.meta.url), 'utf8'))
  t.same(committed, JSON.parse(JSON.stringify(doc)), 'docs/openrpc.json is up to date (npx tsx scripts/gen-openrpc.ts)')
})

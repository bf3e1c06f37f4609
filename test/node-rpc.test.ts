/**
 * Integration over a live daemon's socket: locked mode (only init/unlock/status answer), node.init / node.unlock and
 * their errors; every documented method called and its result validated client side against the method table (the
 * daemon validates server side too); undocumented names answer METHOD_NOT_FOUND; bad input (invalid JSON, unknown
 * method, wrong params, a 10 MB line, a disconnect mid-request) gets the right error and the daemon keeps serving.
 */
import '../node/polyfill.js'
import t from 'tap'
import { createConnection } from 'node:net'
import { join } from 'node:path'
import { COMPONENTS, METHODS, RpcErrorCode, validate } from '../node/rpc/index.js'
import { TestDaemon, TEST_PASSPHRASE, befriend, startTestnet, until } from './helpers/testnet.js'

const codeOf = async (p: Promise<unknown>): Promise<number | undefined> => {
  try { await p; return undefined } catch (err) { return (err as { code?: number }).code }
}

t.test('locked mode, node.init, node.unlock', async t => {
  const net = await startTestnet(t, [])
  const d = new TestDaemon(join(net.dir, 'fresh'), net.relay.addrs[0], { unlock: false })
  net.nodes.push(d)
  await d.start()
  t.same(await d.call('node.status'), { locked: true, initialised: false })
  t.equal(await codeOf(d.call('contacts.list')), RpcErrorCode.LOCKED, 'contacts.list refused')
  t.equal(await codeOf(d.call('messages.send', { to: 'x', text: 'y' })), RpcErrorCode.LOCKED, 'messages.send refused')
  t.equal(await codeOf(d.call('events.subscribe', {})), RpcErrorCode.LOCKED, 'events.subscribe refused')
  t.equal(await codeOf(d.call('invite.create', { expiresInSeconds: 1 })), RpcErrorCode.LOCKED, 'LOCKED before params are checked')
  t.equal(await codeOf(d.call('node.unlock', { passphrase: TEST_PASSPHRASE })), RpcErrorCode.NOT_INITIALISED)
  const st = await d.call<{ locked: boolean, peerId: string, name: string }>('node.init', { name: 'Carol', passphrase: TEST_PASSPHRASE })
  t.equal(st.locked, false)
  t.equal(st.name, 'Carol')
  t.match(st.peerId, /^12D3Koo/)
  t.equal(await codeOf(d.call('node.init', { name: 'Carol', passphrase: TEST_PASSPHRASE })), RpcErrorCode.ALREADY_INITIALISED)
  t.same((await d.call<{ contacts: unknown[] }>('contacts.list')).contacts, [])

  await d.stop()
  await d.start()
  t.same(await d.call('node.status'), { locked: true, initialised: true })
  t.equal(await codeOf(d.call('node.unlock', { passphrase: 'wrong passphrase' })), RpcErrorCode.WRONG_PASSPHRASE)
  t.equal(await codeOf(d.call('contacts.list')), RpcErrorCode.LOCKED, 'still locked')
  const again = await d.call<{ locked: boolean, peerId: string }>('node.unlock', { passphrase: TEST_PASSPHRASE })
  t.equal(again.locked, false)
  t.equal(again.peerId, st.peerId, 'same PeerId')
})

t.test('every documented method on a live daemon; bad input', async t => {
  const net = await startTestnet(t, ['Alice', 'Bob'])
  const [alice, bob] = net.nodes
  const { bSeesA } = await befriend(alice, bob)
  const results = new Map<string, unknown>()
  const call = async (method: string, params?: Record<string, unknown>): Promise<unknown> => {
    const r = await alice.call(method, params)
    results.set(method, r)
    return r
  }
  const errors = new Map<string, number>()
  const callErr = async (method: string, params: Record<string, unknown>): Promise<void> => {
    errors.set(method, await codeOf(alice.call(method, params)) ?? 0)
  }

  await call('auth', { token: 'x'.repeat(16) })
  const doc = await call('rpc.discover') as { methods: Array<{ name: string }> }
  t.same(doc.methods.map(m => m.name).sort(), METHODS.map(m => m.name).sort(), 'rpc.discover documents exactly the method table')
  await callErr('node.init', { name: 'Again', passphrase: TEST_PASSPHRASE })
  t.equal(errors.get('node.init'), RpcErrorCode.ALREADY_INITIALISED)
  await call('node.unlock', { passphrase: TEST_PASSPHRASE })
  await call('node.status')
  const { invite } = await bob.call<{ invite: string }>('invite.create', { expiresInSeconds: 3600 })
  await call('invite.create', { expiresInSeconds: 600 })
  await callErr('contacts.add', { invite: 'tern:not-an-invite' })
  t.equal(errors.get('contacts.add'), RpcErrorCode.BAD_INVITE, 'a bad invite answers BAD_INVITE')
  void invite
  const { contacts } = await call('contacts.list') as { contacts: Array<{ id: string }> }
  const id = contacts[0].id
  await call('contacts.get', { id })
  await call('contacts.rename', { id, name: 'Bobby' })
  await call('contacts.block', { id })
  await call('contacts.unblock', { id })
  await call('contacts.safetyNumber', { id })
  await call('contacts.verify', { id })
  await call('messages.send', { to: id, text: 'rpc coverage', idempotencyKey: 'k1' })
  const again = await alice.call<{ id: string }>('messages.send', { to: id, text: 'rpc coverage', idempotencyKey: 'k1' })
  t.equal(again.id, (results.get('messages.send') as { id: string }).id, 'same idempotencyKey → same message')
  await bob.call('messages.send', { to: bSeesA, text: 'to be read' })
  await until(async () => (await alice.call<{ messages: unknown[] }>('messages.list', { with: id })).messages.length >= 2, 'bob\'s message arrived')
  const { messages } = await call('messages.list', { with: id, limit: 10 }) as { messages: Array<{ seq: number }> }
  await call('messages.markRead', { with: id, upTo: messages[messages.length - 1].seq })
  await call('events.subscribe', { after: 0 })
  await call('events.unsubscribe')
  await call('contacts.remove', { id })
  t.equal(await codeOf(alice.call('contacts.get', { id })), RpcErrorCode.UNKNOWN_CONTACT)

  for (const spec of METHODS) {
    t.ok(results.has(spec.name) || errors.has(spec.name), `${spec.name} was called`)
    if (results.has(spec.name)) t.same(validate(spec.result, results.get(spec.name), COMPONENTS, 'result'), [], `${spec.name} result matches its schema`)
  }
  for (const name of ['node.shutdown', 'debug.dump', 'rpc.methods', 'contacts.export']) {
    t.equal(await codeOf(alice.call(name)), RpcErrorCode.METHOD_NOT_FOUND, `undocumented ${name} is not served`)
  }

  // bad input on a raw socket
  const raw = async (payload: string | Buffer, opts: { destroyAfterWrite?: boolean } = {}): Promise<Array<Record<string, any>>> => {
    const sock = createConnection(alice.socketPath)
    await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject) })
    let buf = ''
    sock.setEncoding('utf8').on('data', (c: string) => { buf += c })
    sock.on('error', () => {})
    const closed = new Promise<void>(resolve => sock.once('close', () => resolve()))
    sock.write(payload)
    if (opts.destroyAfterWrite === true) { sock.destroy(); await closed; return [] }
    await Promise.race([closed, until(() => buf.includes('\n'), 'an answer', 20_000)])
    sock.destroy()
    return buf.split('\n').filter(l => l !== '').map(l => JSON.parse(l) as Record<string, any>)
  }
  t.equal((await raw('{"jsonrpc":"2.0", nope\n'))[0].error.code, RpcErrorCode.PARSE_ERROR, 'invalid JSON')
  t.equal((await raw('{"jsonrpc":"2.0","id":1,"method":"no.such"}\n'))[0].error.code, RpcErrorCode.METHOD_NOT_FOUND, 'unknown method')
  t.equal((await raw('{"jsonrpc":"2.0","id":2,"method":"messages.send","params":{"to":5}}\n'))[0].error.code, RpcErrorCode.INVALID_PARAMS, 'wrong params')
  const big = await raw(Buffer.alloc(10 * 1024 * 1024, 0x61))
  t.equal(big[0]?.error?.code, RpcErrorCode.INVALID_REQUEST, 'a 10 MB line')
  await raw('{"jsonrpc":"2.0","id":3,"method":"messages.list","params":{"with":"', { destroyAfterWrite: true })
  await raw('{"jsonrpc":"2.0","id":4,"method":"contacts.list"}\n', { destroyAfterWrite: true })
  const ok = await raw('{"jsonrpc":"2.0","id":5,"method":"node.status"}\n')
  t.equal(ok[0].result.locked, false, 'still serving after all that')
  t.ok(alice.running, 'daemon alive')
})

/**
 * TCP with a token (docs/API.md §Authentication): auth first or nothing but UNAUTHORIZED, a wrong token closes the
 * connection, the auth timeout, loopback-only unless insecure, and the client library over TCP.
 */
import t, { type Test } from 'tap'
import { createRpcServer, connect, Dispatcher, InsecureListenError, RpcCallError, RpcErrorCode, isLoopbackHost, tokensEqual } from '../node/rpc/index.js'
import { RawConn, rpcCall, startServer } from './rpc-helpers.js'

const TOKEN = 'a-token-of-32-chars-0123456789ab'

async function tcpServer (t: Test, limits = {}): Promise<{ host: string, port: number }> {
  const { server } = await startServer(t, { unix: false, tcp: { port: 0, token: TOKEN }, limits })
  const a = server.tcpAddress()
  if (a === undefined) throw new Error('no address')
  return a
}

t.test('auth first, then everything works', async t => {
  const addr = await tcpServer(t)
  const c = await RawConn.open(addr)
  t.teardown(() => { c.close() })
  const r = await c.call('auth', { token: TOKEN })
  t.same(r, { jsonrpc: '2.0', id: 1, result: { ok: true } })
  t.equal((await c.call('contacts.get', { id: 'c1' }, 2)).result.id, 'c1')
})

t.test('calls before auth get only UNAUTHORIZED, whatever the method', async t => {
  const addr = await tcpServer(t)
  const c = await RawConn.open(addr)
  t.teardown(() => { c.close() })
  for (const [i, m] of ['node.status', 'rpc.discover', 'no.such.method', 'contacts.list'].entries()) {
    const r = await c.call(m, undefined, i)
    t.same(r, { jsonrpc: '2.0', id: i, error: { code: RpcErrorCode.UNAUTHORIZED, message: 'unauthorized: call auth {token} first' } }, `${m}: nothing but the error`)
  }
  c.send('not json')
  t.equal((await c.next()).error.code, RpcErrorCode.PARSE_ERROR, 'a parse error reveals nothing either')
  t.same((await c.call('auth', { token: TOKEN }, 9)).result, { ok: true }, 'auth still possible')
})

t.test('a wrong token gets the error and a closed connection', async t => {
  const addr = await tcpServer(t)
  const c = await RawConn.open(addr)
  c.send(rpcCall('auth', { token: TOKEN.slice(0, -1) + 'X' }, 1))
  c.send(rpcCall('node.status', undefined, 2))
  const r = await c.next()
  t.equal(r.error.code, RpcErrorCode.UNAUTHORIZED)
  await c.closed
  t.equal(c.pendingLines, 0, 'the pipelined call got nothing')
  await t.rejects(connect({ host: addr.host, port: addr.port, token: 'wrong-token-wrong-token', reconnect: false }), RpcCallError, 'client library surfaces it')
})

t.test('too many unauthenticated calls close the connection', async t => {
  const addr = await tcpServer(t, { maxUnauthenticatedCalls: 3 })
  const c = await RawConn.open(addr)
  for (let i = 0; i < 3; i++) t.equal((await c.call('node.status', undefined, i)).error.code, RpcErrorCode.UNAUTHORIZED)
  await c.closed
  t.pass('closed after 3')
})

t.test('an idle unauthenticated connection times out', async t => {
  const addr = await tcpServer(t, { authTimeoutMs: 100 })
  const c = await RawConn.open(addr)
  await c.closed
  t.pass('closed')
})

t.test('non-loopback hosts need insecure; short tokens are refused', async t => {
  const d = new Dispatcher()
  t.throws(() => createRpcServer({ dispatcher: d, tcp: { host: '0.0.0.0', port: 0, token: TOKEN } }), InsecureListenError)
  t.throws(() => createRpcServer({ dispatcher: d, tcp: { host: '192.168.1.10', port: 0, token: TOKEN } }), InsecureListenError)
  t.throws(() => createRpcServer({ dispatcher: d, tcp: { host: '::', port: 0, token: TOKEN } }), InsecureListenError)
  t.throws(() => createRpcServer({ dispatcher: d, tcp: { port: 0, token: 'short' } }), InsecureListenError)
  const s = createRpcServer({ dispatcher: d, tcp: { host: '0.0.0.0', port: 0, token: TOKEN, insecure: true } })
  await s.start()
  t.ok(s.tcpAddress()?.port, 'insecure allows it')
  await s.stop()
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) t.ok(isLoopbackHost(h), h)
  for (const h of ['0.0.0.0', '10.0.0.1', '::', 'example.com', '128.0.0.1']) t.notOk(isLoopbackHost(h), h)
  t.ok(tokensEqual('abc', 'abc'))
  t.notOk(tokensEqual('abc', 'abd'))
  t.notOk(tokensEqual('abc', 'abcd'), 'different lengths compare without throwing')
})

t.test('client library over TCP authenticates itself', async t => {
  const addr = await tcpServer(t)
  const c = await connect({ host: addr.host, port: addr.port, token: TOKEN, reconnect: false })
  t.equal((await c.call<any>('contacts.get', { id: 'c1' })).id, 'c1')
  await c.close()
})

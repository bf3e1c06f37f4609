/**
 * The server over real Unix sockets in temp homes (docs/API.md §Transport, §Framing, §Flow control): socket mode,
 * stale-socket handling, errors over the wire, the 10 MB line, disconnect mid-request, half-close, slow readers and
 * many concurrent clients, all while other clients keep being served.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { lstat, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { join } from 'node:path'
import { createRpcServer, DaemonRunningError, Dispatcher, RpcErrorCode, connect } from '../node/rpc/index.js'
import { RawConn, registerFakes, rpcCall, startServer, tmpHome } from './rpc-helpers.js'

t.test('socket is <home>/rpc.sock, mode 0600, removed on stop', async t => {
  const { server, socketPath } = await startServer(t)
  t.equal(server.socketPath, socketPath)
  const st = await lstat(socketPath)
  t.ok(st.isSocket())
  t.equal(st.mode & 0o777, 0o600, 'mode 0600')
  const c = await RawConn.open(socketPath)
  t.same((await c.call('node.status')).result.locked, false)
  c.close()
  await server.stop()
  await t.rejects(lstat(socketPath), { code: 'ENOENT' }, 'socket file removed')
})

t.test('a stale socket is replaced; a live daemon is refused; a regular file is refused', async t => {
  const home = await tmpHome(t)
  const path = join(home, 'rpc.sock')
  // A stale socket: a process bound it and was SIGKILLed, so nothing unlinked it.
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`])
  await new Promise(resolve => child.stdout.once('data', resolve))
  child.kill('SIGKILL')
  await new Promise(resolve => child.once('exit', resolve))
  t.ok((await lstat(path)).isSocket(), 'stale socket file left behind')

  const d = new Dispatcher(); registerFakes(d)
  const a = createRpcServer({ dispatcher: d, home })
  await a.start()
  t.teardown(async () => { await a.stop() })
  const c = await connect({ socketPath: path, reconnect: false })
  t.equal((await c.call<any>('node.status')).locked, false, 'the new server serves')
  await c.close()

  const b = createRpcServer({ dispatcher: d, home })
  await t.rejects(b.start(), DaemonRunningError, 'a second daemon refuses to start')
  t.ok((await lstat(path)).isSocket(), 'and leaves the live socket alone')

  const other = await tmpHome(t)
  await writeFile(join(other, 'rpc.sock'), 'not a socket')
  await t.rejects(createRpcServer({ dispatcher: d, home: other }).start(), DaemonRunningError, 'a regular file in the way is refused')
})

t.test('errors travel as JSON-RPC errors and the connection stays usable', async t => {
  const { socketPath } = await startServer(t)
  const c = await RawConn.open(socketPath)
  t.teardown(() => { c.close() })
  c.send('this is not json')
  t.equal((await c.next()).error.code, RpcErrorCode.PARSE_ERROR)
  c.send('{"jsonrpc":"2.0","id":1}')
  t.equal((await c.next()).error.code, RpcErrorCode.INVALID_REQUEST)
  t.equal((await c.call('no.such')).error.code, RpcErrorCode.METHOD_NOT_FOUND)
  t.equal((await c.call('contacts.get', { id: 3 })).error.code, RpcErrorCode.INVALID_PARAMS)
  t.equal((await c.call('contacts.get', { id: 'nobody' })).error.code, RpcErrorCode.UNKNOWN_CONTACT)
  t.equal((await c.call('auth', { token: 'whatever-token-x' })).result.ok, true, 'auth is a no-op on the Unix socket')
  c.send([rpcCall('contacts.get', { id: 'c1' }, 1), rpcCall('node.status', undefined, 2)])
  const batch = await c.next()
  t.same(batch.map((r: any) => r.id), [1, 2], 'batch over the wire')
  c.send('\r\n\n')
  t.same((await c.call('contacts.get', { id: 'c1' }, 9)).id, 9, 'still serving after all that')
})

t.test('a 10 MB line gets an error and a closed connection, without being buffered', async t => {
  const { server, socketPath } = await startServer(t)
  const other = await RawConn.open(socketPath)
  t.teardown(() => { other.close() })
  const c = await RawConn.open(socketPath)
  const before = process.memoryUsage().rss
  const chunk = Buffer.alloc(1024 * 1024, 0x61)
  c.socket.write('{"jsonrpc":"2.0","id":1,"method":"node.status","params":{"x":"')
  for (let i = 0; i < 10; i++) c.socket.write(chunk)
  c.socket.write('"}}\n')
  const reply = await c.next()
  t.equal(reply.error.code, RpcErrorCode.INVALID_REQUEST)
  t.same(reply.error.data, { maxLineBytes: 1024 * 1024 })
  t.equal(reply.id, null)
  await c.closed
  t.pass('the connection closed')
  t.ok(process.memoryUsage().rss - before < 64 * 1024 * 1024, 'memory did not grow by the line')
  t.equal((await other.call('node.status')).result.locked, false, 'other clients are still served')
  t.ok(server.connectionCount() <= 1)
})

t.test('a line over a small limit, sent slowly, is cut off as soon as it crosses', async t => {
  const { socketPath } = await startServer(t, { limits: { maxLineBytes: 1000 } })
  const c = await RawConn.open(socketPath)
  c.socket.write('[' + '1,'.repeat(600))
  const reply = await c.next()
  t.equal(reply.error.code, RpcErrorCode.INVALID_REQUEST, 'error before any newline arrives')
  await c.closed
})

t.test('a client that disconnects mid-request: the answer is dropped, the connection cleaned up, the server carries on', async t => {
  const d = new Dispatcher()
  registerFakes(d)
  let release!: () => void
  const gate = new Promise<void>(resolve => { release = resolve })
  let started!: () => void
  const running = new Promise<void>(resolve => { started = resolve })
  let signal: AbortSignal | undefined
  d.unregister('contacts.list')
  d.register('contacts.list', async (_p, ctx) => {
    signal = ctx.signal
    started()
    await gate
    return { contacts: [] }
  })
  const { socketPath, server } = await startServer(t, { dispatcher: d })
  const c = await RawConn.open(socketPath)
  c.send(rpcCall('contacts.list'))
  await running
  c.close()
  await c.closed
  // the server sees the close a moment later (longer on a loaded machine): the handler is released only then
  for (let i = 0; i < 100 && signal?.aborted !== true; i++) await new Promise(resolve => setTimeout(resolve, 20))
  release()
  for (let i = 0; i < 100 && server.connectionCount() > 0; i++) await new Promise(resolve => setTimeout(resolve, 10))
  t.equal(server.connectionCount(), 0, 'no connection leaked')
  t.equal(signal?.aborted, true, 'the call\'s signal is aborted once the connection is gone')
  const c2 = await RawConn.open(socketPath)
  t.equal((await c2.call('node.status')).result.locked, false, 'still serving')
  c2.close()
})

t.test('half-close: a request followed by end() still gets its answer', async t => {
  const { socketPath } = await startServer(t)
  const s = net.connect(socketPath)
  let data = ''
  s.setEncoding('utf8')
  s.on('data', (d: string) => { data += d })
  s.end(JSON.stringify(rpcCall('contacts.get', { id: 'c1' })) + '\n')
  await new Promise(resolve => s.on('close', resolve))
  t.equal(JSON.parse(data).result.id, 'c1')
})

t.test('a client that never reads its answers: the server stops reading from it, memory stays bounded, others are served', async t => {
  const { socketPath } = await startServer(t, { limits: { highWaterBytes: 16 * 1024, maxOutboundBytes: 256 * 1024 } })
  const hog = await RawConn.open(socketPath)
  hog.socket.pause() // never read
  const big = JSON.stringify(rpcCall('rpc.discover')) + '\n'
  const burst = big.repeat(2000) // 2000 × ~35 KB answers asked for
  hog.socket.write(burst)
  const other = await RawConn.open(socketPath)
  t.teardown(() => { other.close(); hog.close() })
  for (let i = 0; i < 20; i++) t.equal((await other.call('node.status', undefined, i)).id, i)
  // The server stops reading from the hog once its outbound queue is full, so it neither grows nor answers more.
  const rss = process.memoryUsage().rss
  await new Promise(resolve => setTimeout(resolve, 300))
  t.ok(process.memoryUsage().rss - rss < 32 * 1024 * 1024, 'memory bounded while the hog does not read')
  t.equal((await other.call('node.status', undefined, 'x')).id, 'x', 'still serving')
})

t.test('many concurrent clients', async t => {
  const { socketPath } = await startServer(t)
  const clients = await Promise.all(Array.from({ length: 50 }, async () => await connect({ socketPath, reconnect: false })))
  const results = await Promise.all(clients.map(async (c, i) => {
    const rs = await Promise.all(Array.from({ length: 20 }, async (_, j) => await c.call<any>('contacts.rename', { id: 'c1', name: `n${i}-${j}` })))
    return rs.every(r => r.id === 'c1')
  }))
  t.ok(results.every(Boolean), '50 clients × 20 pipelined calls each')
  await Promise.all(clients.map(async c => { await c.close() }))
})

t.test('pipelined requests beyond the in-flight limit are all answered', async t => {
  const d = new Dispatcher()
  registerFakes(d)
  d.unregister('contacts.list')
  d.register('contacts.list', async () => { await new Promise(resolve => setTimeout(resolve, 1)); return { contacts: [] } })
  const { socketPath } = await startServer(t, { dispatcher: d, limits: { maxInflight: 4 } })
  const c = await RawConn.open(socketPath)
  t.teardown(() => { c.close() })
  c.socket.write(Array.from({ length: 500 }, (_, i) => JSON.stringify(rpcCall('contacts.list', undefined, i))).join('\n') + '\n')
  const ids = new Set<number>()
  for (let i = 0; i < 500; i++) ids.add((await c.next()).id)
  t.equal(ids.size, 500)
})

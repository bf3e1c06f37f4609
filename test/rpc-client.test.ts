/**
 * The client library and a live daemon's contract (docs/API.md): every documented method answers over the socket and
 * nothing undocumented does, locked gating over the wire, call errors, reconnects, and the round-trip figures.
 */
import t from 'tap'
import { connect, Dispatcher, MemoryEventSource, METHODS, RpcCallError, RpcConnectionError, RpcErrorCode, RpcTimeoutError } from '../node/rpc/index.js'
import { registerFakes, startServer } from './rpc-helpers.js'

t.test('every documented method answers; undocumented ones are not found', async t => {
  const { socketPath } = await startServer(t, { events: new MemoryEventSource() })
  const c = await connect({ socketPath, reconnect: false })
  t.teardown(async () => { await c.close() })
  const doc = await c.call<any>('rpc.discover')
  t.same(doc.methods.map((m: any) => m.name).sort(), METHODS.map(m => m.name).sort())
  for (const m of doc.methods) {
    // Call with {} : a documented method never answers METHOD_NOT_FOUND (params may be invalid, that is fine).
    const err = await c.call(m.name, {}).then(() => undefined, (e: RpcCallError) => e)
    t.not(err?.code, RpcErrorCode.METHOD_NOT_FOUND, `${m.name} is served`)
  }
  for (const name of ['admin.shutdown', 'rpc.internal', 'constructor', 'hasOwnProperty', 'node', 'events']) {
    await t.rejects(c.call(name), { code: RpcErrorCode.METHOD_NOT_FOUND }, `${name} not found`)
  }
})

t.test('locked node over the wire', async t => {
  let locked = true
  const d = new Dispatcher({ isLocked: () => locked })
  d.register('node.unlock', (p: { passphrase: string }) => {
    if (p.passphrase !== 'pw') throw Object.assign(new Error('wrong'), { code: 'ERR_WRONG_PASSPHRASE' })
    locked = false
    return { locked: false, initialised: true }
  })
  d.register('contacts.list', () => ({ contacts: [] }))
  const { socketPath } = await startServer(t, { dispatcher: d })
  const c = await connect({ socketPath, reconnect: false })
  t.teardown(async () => { await c.close() })
  t.same(await c.call('node.status'), { locked: true })
  await t.rejects(c.call('contacts.list'), { code: RpcErrorCode.LOCKED })
  await t.rejects(c.call('messages.send', { to: 'x', text: 'y' }), { code: RpcErrorCode.LOCKED })
  await t.rejects(c.call('node.unlock', { passphrase: 'no' }), { code: RpcErrorCode.WRONG_PASSPHRASE })
  t.same(await c.call('node.unlock', { passphrase: 'pw' }), { locked: false, initialised: true })
  t.same(await c.call('contacts.list'), { contacts: [] })
})

t.test('call errors, timeouts, closed clients', async t => {
  const d = new Dispatcher()
  registerFakes(d)
  d.unregister('contacts.list')
  d.register('contacts.list', async () => { await new Promise(resolve => setTimeout(resolve, 200)); return { contacts: [] } })
  const { socketPath, server } = await startServer(t, { dispatcher: d })
  const c = await connect({ socketPath, reconnect: false })
  const e = await c.call('contacts.get', { id: 'nobody' }).catch((err: unknown) => err)
  t.ok(e instanceof RpcCallError)
  t.equal((e as RpcCallError).code, RpcErrorCode.UNKNOWN_CONTACT)
  t.same((e as RpcCallError).data, { code: 'ERR_UNKNOWN_CONTACT' })
  await t.rejects(c.call('contacts.list', {}, { timeoutMs: 20 }), RpcTimeoutError)
  const pending = c.call('contacts.list').then(() => undefined, (err: unknown) => err)
  await new Promise(resolve => setTimeout(resolve, 10))
  await server.stop()
  const dropped = await pending
  t.ok(dropped instanceof RpcConnectionError, 'pending calls fail when the connection drops')
  if (!(dropped instanceof RpcConnectionError)) t.comment(String(dropped))
  await c.close()
  await t.rejects(c.call('node.status'), RpcConnectionError)
  await t.rejects(connect({ socketPath, reconnect: false }), { code: 'ENOENT' })
})

t.test('the client reconnects after the daemon restarts', async t => {
  const d = new Dispatcher()
  registerFakes(d)
  const first = await startServer(t, { dispatcher: d })
  const c = await connect({ socketPath: first.socketPath, reconnectMinDelayMs: 10, reconnectMaxDelayMs: 50 })
  t.teardown(async () => { await c.close() })
  const disconnected = new Promise(resolve => c.once('disconnect', resolve))
  await first.server.stop()
  await disconnected
  const { createRpcServer } = await import('../node/rpc/index.js')
  const again = createRpcServer({ dispatcher: d, home: first.home })
  await again.start()
  t.teardown(async () => { await again.stop() })
  const st = await c.call<any>('node.status', {}, { timeoutMs: 5000 })
  t.equal(st.locked, false, 'a call made while disconnected waits for the reconnect')
})

t.test('round trips over the Unix socket (figures for the report)', async t => {
  const { socketPath } = await startServer(t)
  const c = await connect({ socketPath, reconnect: false })
  t.teardown(async () => { await c.close() })
  for (let i = 0; i < 500; i++) await c.call('contacts.get', { id: 'c1' })
  const n = 5000
  const lat: number[] = []
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) {
    const s = process.hrtime.bigint()
    await c.call('contacts.get', { id: 'c1' })
    lat.push(Number(process.hrtime.bigint() - s) / 1e3)
  }
  const seqSecs = Number(process.hrtime.bigint() - t0) / 1e9
  lat.sort((a, b) => a - b)
  const p = (q: number): number => lat[Math.floor(q * (lat.length - 1))] as number
  const t1 = process.hrtime.bigint()
  const m = 20000
  const clients = await Promise.all(Array.from({ length: 8 }, async () => await connect({ socketPath, reconnect: false })))
  await Promise.all(clients.map(async cl => {
    for (let i = 0; i < m / clients.length / 25; i++) await Promise.all(Array.from({ length: 25 }, async () => await cl.call('contacts.get', { id: 'c1' })))
  }))
  const parSecs = Number(process.hrtime.bigint() - t1) / 1e9
  await Promise.all(clients.map(async cl => { await cl.close() }))
  t.comment(`sequential: ${Math.round(n / seqSecs)} round trips/s, p50 ${p(0.5).toFixed(0)} µs, p99 ${p(0.99).toFixed(0)} µs`)
  t.comment(`8 clients × 25 in flight: ${Math.round(m / parSecs)} calls/s`)
  t.ok(n / seqSecs > 500, 'at least 500 sequential round trips/s')
})

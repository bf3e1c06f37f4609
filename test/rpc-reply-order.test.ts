/**
 * The server writes a reply in the check phase of the event-loop turn that produced it (node/rpc/server.ts process):
 * work the call started that runs on promises alone (messages.send: the envelope on its way to the contact) goes
 * first. Observed on the server's side of a real Unix socket.
 */
import t from 'tap'
import net from 'node:net'
import { Dispatcher } from '../node/rpc/index.js'
import { RawConn, registerFakes, startServer } from './rpc-helpers.js'

t.test('promise-only work a call started runs before its reply is written', async t => {
  const d = new Dispatcher()
  registerFakes(d)
  const order: string[] = []
  const HOPS = 50
  d.unregister('messages.send')
  d.register('messages.send', () => {
    void (async () => { for (let i = 0; i < HOPS; i++) await null; order.push('follow-up') })()
    return { id: 'm1', with: 'c1', seq: 1, direction: 'out', text: 'x', sentAt: 1, receivedAt: null, status: 'queued', path: null }
  })
  const { socketPath } = await startServer(t, { dispatcher: d })
  const write = net.Socket.prototype.write
  t.teardown(() => { net.Socket.prototype.write = write })
  net.Socket.prototype.write = function (this: net.Socket, chunk: unknown, ...rest: unknown[]) {
    if (typeof chunk === 'string' && chunk.includes('"result"') && chunk.includes('"m1"')) order.push('reply')
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest)
  } as typeof write
  const c = await RawConn.open(socketPath)
  t.teardown(() => { c.close() })
  c.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'messages.send', params: { to: 'c1', text: 'x' } }))
  const reply = await c.next()
  t.equal(reply.result.id, 'm1')
  t.same(order, ['follow-up', 'reply'])
})

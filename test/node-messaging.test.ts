/**
 * Integration: a real relay process and two `tern daemon` processes on loopback, each in its own temp home.
 * Invite → add → messages both ways (path direct); recipient stopped → mailbox → restarted → received exactly once →
 * delivered; events replay from a cursor; restart keeps PeerId, contacts and history; no plaintext at rest.
 */
import '../node/polyfill.js'
import t from 'tap'
import { befriend, collectEvents, startTestnet, until, type TestDaemon } from './helpers/testnet.js'
import { connect, type RpcEvent } from '../node/rpc/index.js'
import { scanHomeForSecrets } from './helpers/node-secrets.js'

interface Msg { id: string, seq: number, direction: string, text: string, status: string, path: string | null }

const statusOf = async (d: TestDaemon, withId: string, id: string): Promise<Msg | undefined> => {
  const { messages } = await d.call<{ messages: Msg[] }>('messages.list', { with: withId, limit: 500 })
  return messages.find(m => m.id === id)
}

t.test('direct: invite, add, both ways, mailbox while offline, restart, replay, nothing in clear at rest', async t => {
  const net = await startTestnet(t, ['Alice', 'Bob'])
  const [alice, bob] = net.nodes
  const texts: string[] = []
  const { aSeesB, bSeesA, invite } = await befriend(alice, bob)

  const bobEvents = collectEvents(bob.client!)
  await bob.client!.subscribe(0)

  texts.push('hello bob, this is alice ' + Math.random().toString(36).slice(2))
  const m1 = await alice.call<Msg>('messages.send', { to: aSeesB, text: texts[0] })
  t.equal(m1.direction, 'out')
  const d1 = await until(async () => { const m = await statusOf(alice, aSeesB, m1.id); return m?.status === 'delivered' || m?.status === 'read' ? m : undefined }, 'm1 delivered')
  t.equal(d1.path, 'direct', 'direct path')
  await until(() => bobEvents.some(e => e.type === 'message.received' && (e.data as { message: Msg }).message.text === texts[0]), 'bob got m1')

  texts.push('hi alice, bob here ' + Math.random().toString(36).slice(2))
  const m2 = await bob.call<Msg>('messages.send', { to: bSeesA, text: texts[1] })
  const d2 = await until(async () => { const m = await statusOf(bob, bSeesA, m2.id); return m?.status === 'delivered' ? m : undefined }, 'm2 delivered')
  t.equal(d2.path, 'direct')
  await until(async () => (await alice.call<{ messages: Msg[] }>('messages.list', { with: aSeesB })).messages.some(m => m.text === texts[1]), 'alice got m2')

  // events replay from a cursor after reconnecting
  const cursorAfterM1 = bobEvents.find(e => e.type === 'message.received')!.cursor
  const c2 = await connect({ socketPath: bob.socketPath })
  const replayed: RpcEvent[] = []
  c2.on('event', (e: RpcEvent) => { replayed.push(e) })
  await c2.subscribe(cursorAfterM1 - 1)
  await until(() => replayed.length > 0 && replayed[0].cursor === cursorAfterM1, 'replay starts at the cursor')
  t.equal(replayed[0].type, 'message.received', 'replayed the received message')
  t.ok(replayed.every((e, i) => i === 0 || e.cursor > replayed[i - 1].cursor), 'ascending cursors')
  await c2.close()

  // recipient stopped → mailbox → restarted → exactly once → delivered
  const bobPeer = (await bob.call<{ peerId: string }>('node.status')).peerId
  interface Status { fingerprint: string, connections: number, reachability: string, relays: Array<{ peerId: string, addresses: string[], reserved: boolean }> }
  const full = await until(async () => {
    const s = await alice.call<Status>('node.status')
    return s.relays?.[0]?.reserved === true ? s : undefined
  }, 'alice reports her relay reservation', 20_000)
  t.equal(full.relays.length, 1, 'one configured relay in node.status')
  t.match(full.relays[0].addresses[0], /\/p2p\/12D3KooW/, 'relay listed with its address')
  t.ok(full.connections >= 1, 'connections counted')
  t.ok(['relayed', 'private'].includes(full.reachability), `loopback node is not public (${full.reachability})`)
  t.match(full.fingerprint, /^[0-9a-f]/i, 'fingerprint reported')
  await bob.stop()
  texts.push('while you were away ' + Math.random().toString(36).slice(2))
  const m3 = await alice.call<Msg>('messages.send', { to: aSeesB, text: texts[2] })
  await until(async () => (await statusOf(alice, aSeesB, m3.id))?.status === 'mailbox', 'm3 in the mailbox', 60_000)
  await bob.start()
  const st = await bob.call<{ peerId: string, locked: boolean }>('node.status')
  t.equal(st.peerId, bobPeer, 'same PeerId after restart')
  t.equal(st.locked, false)
  const d3 = await until(async () => { const m = await statusOf(alice, aSeesB, m3.id); return m?.status === 'delivered' ? m : undefined }, 'm3 delivered', 60_000)
  t.ok(d3)
  const bobView = (await bob.call<{ messages: Msg[] }>('messages.list', { with: bSeesA, limit: 500 })).messages
  t.equal(bobView.filter(m => m.text === texts[2]).length, 1, 'received exactly once')
  t.equal(bobView.filter(m => m.text === texts[0]).length, 1, 'history kept')
  t.same((await bob.call<{ contacts: Array<{ id: string }> }>('contacts.list')).contacts.map(c => c.id), [bSeesA], 'contacts kept')

  // sending resumes after the restart
  texts.push('back again ' + Math.random().toString(36).slice(2))
  const m4 = await bob.call<Msg>('messages.send', { to: bSeesA, text: texts[3] })
  await until(async () => (await statusOf(bob, bSeesA, m4.id))?.status === 'delivered', 'm4 delivered', 60_000)

  // nothing in clear at rest (both homes stopped so logs and LevelDB files are flushed)
  await alice.stop()
  await bob.stop()
  for (const d of [alice, bob]) {
    const found = await scanHomeForSecrets(d.home, texts, [invite])
    t.same(found, [], `no plaintext or key material under ${d.home}`)
  }
})

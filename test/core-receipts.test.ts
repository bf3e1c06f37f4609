/**
 * Delivery receipts are held back RECEIPT_DELAY_MS so that those of a burst travel as one ratchet message
 * (node/core/delivery.ts buildReceipts), and a stop sends the held ones instead of leaving them to the next start.
 */
import t from 'tap'
import { MemoryNetwork, connect, startNode, stopNode, waitFor, type TestNode } from './helpers/memory-net.js'
import type { Message } from '../node/core/index.js'

async function statusOf (n: TestNode, withId: string, id: string): Promise<string | undefined> {
  return (await n.m.listMessages({ with: withId, limit: 500 })).find(m => m.id === id)?.status
}

t.test('a receipt held back is sent when the receiver stops, not at its next start', async tt => {
  const network = new MemoryNetwork()
  const a = await startNode(network, 'alice')
  // a hold far longer than the test: only stop() can send the receipt
  const b = await startNode(network, 'bob', undefined, { timings: { RECEIPT_DELAY_MS: 600_000 } })
  tt.teardown(async () => { await stopNode(a); await stopNode(b) })
  const [aToB, bToA] = await connect(a, b)
  const m = await a.m.send({ to: aToB, text: 'delivered before bob stops?' })
  await waitFor('bob has it', async () => (await b.m.listMessages({ with: bToA })).some(x => x.id === m.id))
  await waitFor('sent (written SENT_STATUS_DELAY_MS after the ack)', async () => await statusOf(a, aToB, m.id) !== 'queued', 2000)
  tt.equal(await statusOf(a, aToB, m.id), 'sent', 'the receipt is held back')
  await b.m.stop() // still online: the held receipt can go
  await waitFor('delivered', async () => await statusOf(a, aToB, m.id) === 'delivered', 3000)
  tt.pass('delivered, sent by the stop')
})

t.test('receipts of messages arriving while one is held travel together, each message delivered once', async tt => {
  const network = new MemoryNetwork()
  const a = await startNode(network, 'alice')
  const b = await startNode(network, 'bob', undefined, { timings: { RECEIPT_DELAY_MS: 300 } })
  tt.teardown(async () => { await stopNode(a); await stopNode(b) })
  const [aToB] = await connect(a, b)
  const sent: Message[] = []
  for (let i = 0; i < 20; i++) sent.push(await a.m.send({ to: aToB, text: `r${i}` }))
  await waitFor('all delivered', async () => {
    const list = await a.m.listMessages({ with: aToB })
    return sent.every(m => list.find(x => x.id === m.id)?.status === 'delivered')
  })
  const deliveredEvents = a.events.filter(e => e.type === 'message.status' && e.data.status === 'delivered' &&
    sent.some(m => m.id === e.data.id))
  tt.equal(deliveredEvents.length, sent.length, 'one delivered event per message')
})

/**
 * kill -9 durability: a child writes batches and acknowledges each one after its write resolved; the test SIGKILLs
 * it at a random point, reopens, and checks that every acknowledged write is present and intact, that every batch is
 * all-or-nothing (message, outbox and event together) and that cursors never go back. Several rounds on one store.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openStore, messagePrefix, prefixRange, parseMessageKey, outboxKey, PREFIX } from '../node/store/index.js'
import { toHex } from '../protocol/crypto/index.js'
import { tmpDir } from './helpers/tmp.js'

const CHILD = fileURLToPath(new URL('./helpers/store-crash-child.ts', import.meta.url))
const ROUNDS = 4
const KEY = new Uint8Array(32).fill(9)

interface Ack { seq: number, cursor: number }

async function runAndKill (dir: string, killAfterAcks: number, extraDelayMs: number): Promise<{ start: number, acks: Ack[] }> {
  const child = spawn(process.execPath, ['--import=tsx', CHILD, dir, toHex(KEY)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let buf = ''
  let start = -1
  const acks: Ack[] = []
  let killing = false
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString()
    let i
    while ((i = buf.indexOf('\n')) >= 0) {
      const [w, a, b] = buf.slice(0, i).split(' ')
      buf = buf.slice(i + 1)
      if (w === 'start') start = Number(a)
      if (w === 'ack') acks.push({ seq: Number(a), cursor: Number(b) })
    }
    if (!killing && acks.length >= killAfterAcks) {
      killing = true
      setTimeout(() => child.kill('SIGKILL'), extraDelayMs)
    }
  })
  const [code, signal] = await new Promise<[number | null, string | null]>(resolve => child.on('exit', (c, s) => resolve([c, s])))
  if (signal !== 'SIGKILL') throw new Error(`child exited ${String(code)} ${String(signal)} before the kill`)
  await new Promise(resolve => setImmediate(resolve)) // drain the last stdout chunks
  return { start, acks }
}

t.test('every acknowledged batch survives SIGKILL, atomically', async t => {
  const dir = join(await tmpDir(t), 'db')
  const allAcks: Ack[] = []
  let lastCursor = 0
  for (let round = 0; round < ROUNDS; round++) {
    const killAfter = 20 + Math.floor(Math.random() * 200)
    const { start, acks } = await runAndKill(dir, killAfter, Math.floor(Math.random() * 5))
    t.ok(acks.length >= killAfter, `round ${round}: ${acks.length} acks, killed after >= ${killAfter} (resumed after seq ${start})`)
    allAcks.push(...acks)

    const st = await openStore(dir, KEY)
    // every acknowledged message is there and intact
    let missing = 0
    for (const a of allAcks) {
      const v = await st.getJson<{ seq: number, text: string }>(`m/c1/${a.seq.toString(16).padStart(16, '0')}`)
      if (v?.seq !== a.seq || v.text !== `message ${a.seq} `.repeat(20)) missing++
    }
    t.equal(missing, 0, `round ${round}: all ${allAcks.length} acknowledged messages present and intact`)
    // all-or-nothing: messages and events are the same set of seqs; exactly one outbox entry (the last message)
    const msgs = (await st.list(prefixRange(messagePrefix('c1')))).map(e => parseMessageKey(e.key).seq)
    const events = await st.events.readAfter(0, 10_000)
    t.same(events.map(e => (e.data as { seq: number }).seq), msgs, 'one event per stored message, same order')
    t.same(msgs, Array.from({ length: msgs.length }, (_, i) => i + 1), 'no gap, no duplicate')
    const outbox = await st.list(prefixRange(PREFIX.outbox))
    t.same(outbox.map(e => e.key), [outboxKey(`m${msgs[msgs.length - 1]}`)])
    // acknowledged cursors are exactly the stored ones; cursors never go back across crashes
    const byCursor = new Map(events.map(e => [e.cursor, (e.data as { seq: number }).seq]))
    t.ok(allAcks.every(a => byCursor.get(a.cursor) === a.seq), 'every acknowledged cursor holds its event')
    t.ok(events.every((e, i) => i === 0 || e.cursor > events[i - 1].cursor))
    t.ok(st.events.tail() >= lastCursor)
    lastCursor = st.events.tail()
    await st.close()
  }
})

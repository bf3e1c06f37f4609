/**
 * The mailbox store against a model (PROTOCOL.md §8.8): random deposits, acks, fetches and deletes, concurrent (so
 * that group commit coalesces them), then a reopen; counters, contents and order must match the model throughout.
 */
import t from 'tap'
import fc from 'fast-check'
import { seededRng } from '../protocol/crypto/index.js'
import { MailboxStore, envelopeKey, decodeQueue } from '../bootstrap/mailbox/store.js'
import { resolveLimits } from '../bootstrap/mailbox/limits.js'
import { Status } from '../bootstrap/mailbox/pb/mailbox.js'
import { tempDir } from './helpers/mailbox-net.js'

type Cmd = { op: 'deposit', q: number, sizes: number[] } | { op: 'ack', q: number, pick: number[] } | { op: 'fetch', q: number, n: number } | { op: 'delete', q: number }

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ op: fc.constant('deposit' as const), q: fc.nat(2), sizes: fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 6 }) }),
  fc.record({ op: fc.constant('ack' as const), q: fc.nat(2), pick: fc.array(fc.nat(20), { maxLength: 5 }) }),
  fc.record({ op: fc.constant('fetch' as const), q: fc.nat(2), n: fc.integer({ min: 1, max: 10 }) }),
  fc.record({ op: fc.constant('delete' as const), q: fc.nat(2) })
)

t.test('store matches a model under concurrent random operations and survives reopen', async t => {
  let run = 0
  await fc.assert(fc.asyncProperty(fc.array(cmd, { maxLength: 25 }), async (cmds) => {
    const dir = tempDir()
    const rng = seededRng(`store-${run++}`)
    const limits = resolveLimits({ ownerMaxQueues: 10, queueMaxEnvelopes: 12, sweepIntervalMs: 0 })
    let store = new MailboxStore({ dbPath: dir.path, limits, rng })
    try {
      await store.open()
      const queues: Array<{ id: Uint8Array, token: Uint8Array, live: Map<number, Uint8Array>, deleted: boolean }> = []
      for (let i = 0; i < 3; i++) {
        const r = await store.createQueue('peer', new Uint8Array(32), 1000, false)
        queues.push({ id: r.queueId!, token: r.token!, live: new Map(), deleted: false })
      }
      // issue every command without awaiting (the store serialises and coalesces), check each result
      const checks = cmds.map(async (c) => {
        const m = queues[c.q]
        if (c.op === 'deposit') {
          const envs = c.sizes.map(n => rng(n))
          const { results } = await store.deposit(envs.map(e => ({ queueId: m.id, token: m.token, envelope: e })), 1000)
          results.forEach((r, i) => { if (r.status === Status.OK) m.live.set(r.id, envs[i]) })
          return results.every(r => r.status === Status.OK || r.status === Status.QUEUE_FULL || r.status === Status.UNKNOWN_QUEUE)
        }
        if (c.op === 'ack') {
          const r = await store.ack(m.id, c.pick, 1000)
          if (r.status === Status.OK) for (const id of c.pick) m.live.delete(id)
          return r.status === Status.OK || m.deleted
        }
        if (c.op === 'fetch') {
          const r = await store.fetch(m.id, c.n, 1 << 20, 1000)
          return r.status !== Status.OK || r.envelopes.every((e, i) => i === 0 || e.id > r.envelopes[i - 1].id)
        }
        const st = await store.deleteQueue(m.id)
        if (st === Status.OK) { m.deleted = true; m.live.clear() }
        return true
      })
      if (!(await Promise.all(checks)).every(Boolean)) return false
      const verify = async (): Promise<boolean> => {
        let envelopes = 0; let bytes = 0
        for (const m of queues) {
          const r = await store.fetch(m.id, 1000, 1 << 30, 1000)
          if (m.deleted) { if (r.status !== Status.UNKNOWN_QUEUE) return false; continue }
          const want = [...m.live.entries()].sort((a, b) => a[0] - b[0])
          if (r.envelopes.length !== want.length) return false
          for (let i = 0; i < want.length; i++) {
            if (r.envelopes[i].id !== want[i][0] || !Buffer.from(r.envelopes[i].data).equals(Buffer.from(want[i][1]))) return false
          }
          envelopes += want.length; bytes += want.reduce((s, [, e]) => s + e.length, 0)
        }
        const st = store.stats()
        return st.envelopes === envelopes && st.bytes === bytes && st.queues === queues.filter(q => !q.deleted).length
      }
      if (!(await verify())) return false
      await store.close()
      store = new MailboxStore({ dbPath: dir.path, limits, rng })
      await store.open()
      return await verify()
    } finally {
      await store.close()
      dir.cleanup()
    }
  }), { numRuns: 40 })
  t.pass('model and store agree')
})

t.test('envelope keys sort by sequence number and round-trip large ones', async t => {
  const q = new Uint8Array(16).fill(7)
  const seqs = [0, 1, 255, 256, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER]
  const keys = seqs.map(s => Buffer.from(envelopeKey(q, s)))
  for (let i = 1; i < keys.length; i++) t.ok(Buffer.compare(keys[i - 1], keys[i]) < 0, `key(${seqs[i - 1]}) < key(${seqs[i]})`)
  t.equal(keys[6].readBigUInt64BE(17), BigInt(2 ** 40 + 5))
  t.throws(() => decodeQueue(q, new Uint8Array(10)))
})

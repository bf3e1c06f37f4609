/**
 * ONE compliance suite for the KV interface, run against the in-memory reference and LevelDB (STYLE.md principle 2),
 * plus the encrypted Store's behaviour over both: ordered scans, batches, snapshots, copies, model-based property test.
 */
import t from 'tap'
import fc from 'fast-check'
import { join } from 'node:path'
import { MemoryKV, LevelKV, Store, VALUE_OVERHEAD, type KV, type KVOp, type KVRange } from '../node/store/index.js'
import { seededRng } from '../protocol/crypto/index.js'
import { tmpDir } from './helpers/tmp.js'

/** What a factory needs from a tap test: somewhere to register cleanup. */
interface TT { teardown: (fn: () => unknown) => void }
interface Impl { name: string, make: (t: TT) => Promise<KV> }

let n = 0
const impls: Impl[] = [
  { name: 'MemoryKV', make: async () => new MemoryKV() },
  {
    name: 'LevelKV',
    make: async (tt) => {
      const kv = await LevelKV.open(join(await tmpDir(tt), `db${n++}`), { sync: false })
      tt.teardown(async () => { await kv.close() })
      return kv
    }
  }
]

const b = (s: string): Uint8Array => new TextEncoder().encode(s)
const s = (u: Uint8Array | undefined): string | undefined => u === undefined ? undefined : new TextDecoder().decode(u)
async function scan (kv: KV, r?: KVRange): Promise<string[]> {
  const out: string[] = []
  for await (const [k, v] of kv.iterate(r)) out.push(`${k}=${s(v) ?? ''}`)
  return out
}

/** The reference model: a Map, sorted on read. */
function modelScan (m: Map<string, string>, r: KVRange): string[] {
  let ks = [...m.keys()].sort().filter(k => (r.gt === undefined || k > r.gt) && (r.gte === undefined || k >= r.gte) &&
    (r.lt === undefined || k < r.lt) && (r.lte === undefined || k <= r.lte))
  if (r.reverse === true) ks.reverse()
  if (r.limit !== undefined) ks = ks.slice(0, r.limit)
  return ks.map(k => `${k}=${m.get(k) ?? ''}`)
}

for (const impl of impls) {
  t.test(`KV compliance: ${impl.name}`, async t => {
    t.test('get of a missing key is undefined; put/get/del', async t => {
      const kv = await impl.make(t)
      t.equal(await kv.get('a'), undefined)
      await kv.put('a', b('1'))
      t.equal(s(await kv.get('a')), '1')
      await kv.put('a', b('2'))
      t.equal(s(await kv.get('a')), '2')
      await kv.del('a')
      t.equal(await kv.get('a'), undefined)
      await kv.del('never')
      await kv.put('empty', new Uint8Array(0))
      t.same(await kv.get('empty'), new Uint8Array(0))
    })

    t.test('values are copies in both directions', async t => {
      const kv = await impl.make(t)
      const v = b('abc')
      await kv.put('k', v)
      v[0] = 0x7a
      const got = await kv.get('k') as Uint8Array
      t.equal(s(got), 'abc')
      got[0] = 0x7a
      t.equal(s(await kv.get('k')), 'abc')
    })

    t.test('ordered scans: gt/gte/lt/lte, reverse, limit', async t => {
      const kv = await impl.make(t)
      const keys = ['m/a/0000000000000002', 'm/a/0000000000000001', 'm/a/000000000000000a', 'm/b/0000000000000001', 'c/x', 'o/1']
      await kv.batch(keys.map(k => ({ type: 'put', key: k, value: b(k.slice(-1)) })))
      t.same(await scan(kv), ['c/x=x', 'm/a/0000000000000001=1', 'm/a/0000000000000002=2', 'm/a/000000000000000a=a', 'm/b/0000000000000001=1', 'o/1=1'])
      t.same(await scan(kv, { gte: 'm/a/', lt: 'm/a0' }), ['m/a/0000000000000001=1', 'm/a/0000000000000002=2', 'm/a/000000000000000a=a'])
      t.same(await scan(kv, { gte: 'm/a/', lt: 'm/a0', reverse: true, limit: 2 }), ['m/a/000000000000000a=a', 'm/a/0000000000000002=2'])
      t.same(await scan(kv, { gt: 'm/a/0000000000000001', lte: 'm/b/0000000000000001' }), ['m/a/0000000000000002=2', 'm/a/000000000000000a=a', 'm/b/0000000000000001=1'])
      t.same(await scan(kv, { limit: 0 }), [])
      t.same(await scan(kv, { gt: 'z' }), [])
    })

    t.test('batch: atomic, later ops win, invalid batch writes nothing', async t => {
      const kv = await impl.make(t)
      await kv.batch([{ type: 'put', key: 'a', value: b('1') }, { type: 'put', key: 'b', value: b('2') }, { type: 'del', key: 'a' }, { type: 'put', key: 'b', value: b('3') }])
      t.same(await scan(kv), ['b=3'])
      await t.rejects(kv.batch([{ type: 'put', key: 'c', value: b('1') }, { type: 'put', key: 'bad key', value: b('x') }]), { code: 'ERR_INVALID_ARGUMENT' })
      await t.rejects(kv.batch([{ type: 'put', key: 'c', value: 'str' as unknown as Uint8Array }]), { code: 'ERR_INVALID_ARGUMENT' })
      t.same(await scan(kv), ['b=3'])
      await kv.batch([])
    })

    t.test('keys: printable ASCII only, bounded length', async t => {
      const kv = await impl.make(t)
      for (const k of ['', 'a b', 'é', 'x'.repeat(513), 'tab\t']) {
        await t.rejects(kv.put(k, b('1')), { code: 'ERR_INVALID_ARGUMENT' }, JSON.stringify(k.slice(0, 8)))
      }
      await kv.put('x'.repeat(512), b('1'))
      await t.rejects(kv.iterate({ gt: 'bad key' }).next(), { code: 'ERR_INVALID_ARGUMENT' })
      await t.rejects(kv.iterate({ gt: 'a', gte: 'b' }).next(), { code: 'ERR_INVALID_ARGUMENT' }, 'two lower bounds')
    })

    t.test('an iteration reads a snapshot taken when it starts', async t => {
      const kv = await impl.make(t)
      await kv.batch(['a', 'b', 'c'].map(k => ({ type: 'put', key: k, value: b(k) })))
      const it = kv.iterate()
      const first = await it.next()
      t.same(first.value?.[0], 'a')
      await kv.put('bb', b('new'))
      await kv.del('c')
      const rest: string[] = []
      for await (const [k] of it) rest.push(k)
      t.same(rest, ['b', 'c'])
      t.same((await scan(kv)).map(e => e.split('=')[0]), ['a', 'b', 'bb'])
    })

    t.test('after close: ERR_STORE_CLOSED', async t => {
      const kv = await impl.make(t)
      await kv.close()
      await t.rejects(kv.get('a'), { code: 'ERR_STORE_CLOSED' })
      await t.rejects(kv.put('a', b('1')), { code: 'ERR_STORE_CLOSED' })
      await kv.close()
    })

    t.test('model-based: random batches, then random scans equal a sorted Map', async t => {
      const kv = await impl.make(t)
      const model = new Map<string, string>()
      const key = fc.stringMatching(/^[a-e/0-9]{1,5}$/)
      const op = fc.oneof(
        fc.record({ type: fc.constant('put' as const), key, v: fc.stringMatching(/^[a-z]{0,6}$/) }),
        fc.record({ type: fc.constant('del' as const), key })
      )
      const range = fc.record({
        lower: fc.option(fc.tuple(fc.constantFrom('gt' as const, 'gte' as const), key), { nil: undefined }),
        upper: fc.option(fc.tuple(fc.constantFrom('lt' as const, 'lte' as const), key), { nil: undefined }),
        reverse: fc.boolean(),
        limit: fc.option(fc.nat(8), { nil: undefined })
      }).map(({ lower, upper, reverse, limit }) => {
        const r: KVRange = { reverse }
        if (lower !== undefined) r[lower[0]] = lower[1]
        if (upper !== undefined) r[upper[0]] = upper[1]
        if (limit !== undefined) r.limit = limit
        return r
      })
      await fc.assert(fc.asyncProperty(fc.array(op, { maxLength: 12 }), fc.array(range, { minLength: 1, maxLength: 4 }), async (ops, ranges) => {
        const kvOps: KVOp[] = ops.map(o => o.type === 'put' ? { type: 'put', key: o.key, value: b(o.v) } : { type: 'del', key: o.key })
        await kv.batch(kvOps)
        for (const o of ops) { if (o.type === 'put') model.set(o.key, o.v); else model.delete(o.key) }
        for (const r of ranges) {
          if ((await scan(kv, r)).join(',') !== modelScan(model, r).join(',')) return false
        }
        return true
      }), { numRuns: 60 })
      t.pass('60 runs')
    })
  })

  t.test(`encrypted Store over ${impl.name}`, async t => {
    const dbKey = new Uint8Array(32).fill(1)
    const open = async (tt: TT): Promise<Store> => await Store.create(await impl.make(tt), dbKey, { rng: seededRng('store'), now: () => 1000 })

    t.test('bytes and JSON values; missing is undefined; scans decrypt in order', async t => {
      const st = await open(t)
      t.equal(await st.get('c/x'), undefined)
      t.equal(await st.getJson('c/x'), undefined)
      await st.put('c/x', b('bytes'))
      await st.putJson('c/y', { name: 'n', n: [1, 2] })
      t.equal(s(await st.get('c/x')), 'bytes')
      t.same(await st.getJson('c/y'), { name: 'n', n: [1, 2] })
      t.notSame(await st.kv.get('c/x'), b('bytes'), 'the KV holds ciphertext')
      t.equal((await st.kv.get('c/x'))?.length, 5 + VALUE_OVERHEAD, 'version, nonce, ciphertext, tag')
      const all = await st.list({ gte: 'c/', lt: 'c0' })
      t.same(all.map(e => e.key), ['c/x', 'c/y'])
      t.same((await st.listJson({ gte: 'c/y', lt: 'c0' })).map(e => e.value), [{ name: 'n', n: [1, 2] }])
      await st.del('c/x')
      t.equal(await st.get('c/x'), undefined)
      await st.close()
      await t.rejects(st.get('c/y'), { code: 'ERR_STORE_CLOSED' })
    })

    t.test('batch with events: one atomic write, cursors monotonic, readAfter pages', async t => {
      const st = await open(t)
      const seen: number[] = []
      const unsub = st.events.subscribe(e => seen.push(e.cursor))
      t.equal(st.events.tail(), 0)
      const r1 = await st.batch().putJson('m/a/0000000000000001', { text: 'hi' }).putJson('o/m1', { to: 'a' })
        .appendEvent('message.sent', { id: 'm1' }).appendEvent('outbox.added', { id: 'm1' }).write()
      t.same(r1.cursors, [1, 2])
      t.equal(await st.events.append('x'), 3)
      // concurrent writers still commit in cursor order
      const many = await Promise.all(Array.from({ length: 20 }, async (_, i) => await st.events.append('n', { i })))
      t.same(many, Array.from({ length: 20 }, (_, i) => 4 + i))
      t.same(seen, Array.from({ length: 23 }, (_, i) => i + 1), 'subscribers see every event in order')
      unsub()
      const page = await st.events.readAfter(0, 2)
      t.same(page, [{ cursor: 1, type: 'message.sent', at: 1000, data: { id: 'm1' } }, { cursor: 2, type: 'outbox.added', at: 1000, data: { id: 'm1' } }])
      t.same((await st.events.readAfter(21, 100)).map(e => e.cursor), [22, 23])
      t.same(await st.events.readAfter(23), [])
      t.equal(st.events.tail(), 23)
      const b2 = st.batch().put('c/z', b('1'))
      await b2.write()
      await t.rejects(b2.write(), { code: 'ERR_INVALID_ARGUMENT' }, 'a batch is written once')
      t.throws(() => st.batch().put('c/q', b('1')).put('bad key', b('2')), { code: 'ERR_INVALID_ARGUMENT' }, 'bad keys fail fast')
      t.equal(await st.get('c/q'), undefined)
    })

    t.test('blind(): deterministic per database, label-separated', async t => {
      const st = await open(t)
      const a = st.blind('peer', '12D3KooW...')
      t.equal(a, st.blind('peer', '12D3KooW...'))
      t.not(a, st.blind('message', '12D3KooW...'))
      t.match(a, /^[A-Za-z0-9_-]{22}$/)
    })
  })
}

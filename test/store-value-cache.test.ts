/**
 * node/store/cache.ts on its own: bounded by bytes, second-chance eviction (an entry read since it last came round
 * survives one pass, the others go oldest first), copies out, wipes what it replaces or evicts, remembers absence.
 */
import t from 'tap'
import { ValueCache } from '../node/store/cache.js'

const v = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill)
// cost of an entry: key length + value length + 64
const cost = (key: string, n: number): number => key.length + n + 64

t.test('bounded by bytes; the oldest unread entry goes first; a read entry gets a second chance', async t => {
  const max = 4 * cost('k0', 100)
  const c = new ValueCache(max)
  for (let i = 0; i < 4; i++) c.set(`k${i}`, v(100, i + 1))
  t.equal(c.size, 4)
  t.equal(c.usedBytes, max)
  c.get('k0') // k0 read: survives the next eviction once
  c.set('k4', v(100, 5))
  t.equal(c.size, 4, 'one entry evicted')
  t.ok(c.usedBytes <= max)
  t.not(c.get('k0'), undefined, 'k0 was read: kept')
  t.equal(c.get('k1'), undefined, 'k1 is the oldest unread: evicted')
  c.set('k5', v(100, 6)) // k0 was read again above, k2 is now the oldest unread
  t.equal(c.get('k2'), undefined, 'k2 evicted')
  t.not(c.get('k0'), undefined, 'k0 still there')
  for (let i = 6; i < 12; i++) c.set(`k${i}`, v(100, i)) // no reads in between: k0's chance is used up, it ages out
  t.equal(c.get('k0'), undefined, 'a read buys one pass, not forever')
  t.ok(c.usedBytes <= max)
})

t.test('a value too big for the cache is not kept (and is wiped); everything read back is a copy', async t => {
  const c = new ValueCache(200)
  const big = v(500, 7)
  c.adopt('big', big)
  t.equal(c.get('big'), undefined)
  t.ok(big.every(b => b === 0), 'wiped')
  c.set('a', v(10, 3))
  const got = c.get('a') as Uint8Array
  got.fill(9)
  t.same([...(c.get('a') as Uint8Array)], Array(10).fill(3), 'the cache keeps its own bytes')
})

t.test('replaced and evicted values are wiped; null remembers absence; clear empties', async t => {
  const c = new ValueCache(cost('a', 10) + cost('b', 10))
  const first = v(10, 4)
  c.adopt('a', first)
  c.adopt('a', v(10, 5))
  t.ok(first.every(b => b === 0), 'the replaced value is wiped')
  const second = c.entry('a')?.value as Uint8Array
  c.adopt('b', v(10, 6))
  c.adopt('c', v(10, 7)) // order a (read), b, c: a moves to the young end, b goes
  t.equal(c.get('b'), undefined, 'the unread entry is evicted before the older read one')
  c.adopt('d', v(10, 8)) // order c, a, d: c goes
  t.equal(c.size, 2)
  c.adopt('e', v(10, 9)) // order a, d, e: a's chance is used up, it goes
  t.equal(c.size, 2)
  t.equal(c.entry('a'), undefined, 'then the read one, its chance used')
  t.ok(second.every(b => b === 0), 'the evicted value is wiped')
  c.set('gone', null)
  t.equal(c.get('gone'), null, 'known absent')
  c.clear()
  t.equal(c.size, 0)
  t.equal(c.usedBytes, 0)
})

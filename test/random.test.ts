/**
 * protocol/crypto/random.ts systemRng: the pooled path (requests up to 64 bytes) and the direct one give fresh,
 * independent bytes of the asked length, across pool refills; bad lengths are typed errors.
 */
import t from 'tap'
import { systemRng, toHex } from '../protocol/crypto/index.js'

t.test('lengths, freshness and independence across pool refills', async t => {
  for (const n of [0, 1, 12, 24, 32, 64, 65, 5000]) t.equal(systemRng(n).length, n, `${n} bytes`)
  const seen = new Set<string>()
  const counts = new Array(256).fill(0)
  let total = 0
  let repeats = 0
  for (let i = 0; i < 2000; i++) { // 48 KB through a 4 KiB pool: a dozen refills, requests straddling them
    const n = 1 + (i % 64)
    const b = systemRng(n)
    if (n >= 16) { const h = toHex(b); if (seen.has(h)) repeats++; seen.add(h) }
    for (const x of b) counts[x]++
    total += n
    b.fill(0) // a caller wiping its bytes must not change what comes next
  }
  t.equal(repeats, 0, 'no output of 16+ bytes repeats')
  const expected = total / 256
  const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0)
  t.ok(chi2 < 400, `byte frequencies look uniform (chi2 ${chi2.toFixed(0)}, 255 degrees of freedom)`)
  const a = systemRng(24); const b = systemRng(24)
  t.not(toHex(a), toHex(b), 'consecutive outputs differ')
  t.not(a.buffer, b.buffer, 'each output owns its memory')
})

t.test('bad lengths are typed errors', async t => {
  for (const n of [-1, 1.5, Number.NaN]) t.throws(() => systemRng(n), { code: 'ERR_INVALID_ARGUMENT' }, String(n))
})

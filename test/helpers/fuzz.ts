/**
 * Reusable decoder fuzzer (PROTOCOL.md §7.4): feeds a decoder random bytes and mutations of valid encodings and checks
 * that it only ever returns or throws a typed error, within a time bound per case and a heap bound overall.
 * Deterministic: every run with the same `seed` feeds the same inputs; a failure prints the seed, case and input.
 *
 *   await fuzzDecoder(t, { name: 'envelope', decode: decodeEnvelope, seeds: [valid1, valid2], cases: 5000, typedErrorBase: TernError })
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { v8Gc } from '../../node/idle-gc.js'

/** Anything `tap` passes as `t` (kept structural so the helper does not depend on tap's types). */
export interface FuzzTest {
  ok: (value: any, ...rest: any[]) => any
  equal: (found: any, wanted: any, ...rest: any[]) => any
  comment: (...args: any[]) => any
}

export interface FuzzDecoderOptions<T> {
  /** Label used in assertions and the summary comment. */
  name: string
  /** The decoder under test. It may return or throw `typedErrorBase`; anything else is a failure. */
  decode: (bytes: Uint8Array) => T
  /** Valid encodings to mutate (at least one recommended; random bytes are always added). */
  seeds: Uint8Array[]
  /** Number of inputs to try. */
  cases: number
  /** The error class every rejection must be an instance of, e.g. TernError. */
  typedErrorBase: abstract new (...args: any[]) => Error
  /** If given, every rejection's `code` must be one of these. */
  codes?: readonly string[]
  /** Called with every accepted value; throwing from it counts as a failure (e.g. re-encode and compare). */
  onAccept?: (value: T, input: Uint8Array) => void
  /** PRNG seed (default 0x7e2a). */
  seed?: number
  /** Longest random input (bytes, default 2048). */
  maxRandomBytes?: number
  /** Upper bound on the time of any single case, best of 3 timings for a slow case (ms, default 250). */
  maxCaseMs?: number
  /** Upper bound on heap growth over the whole run (bytes, default 128 MiB). */
  maxHeapGrowthBytes?: number
}

export interface FuzzReport {
  cases: number
  accepted: number
  rejected: number
  failures: number
  /** Rejections counted per error code. */
  codes: Record<string, number>
  totalMs: number
  slowestCaseMs: number
  heapGrowthBytes: number
}

/** mulberry32: small, fast, deterministic. */
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x08, 0x0a, 0x12, 0x1a, 0x22]

function varint (n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) { out.push((n % 128) | 0x80); n = Math.floor(n / 128) }
  out.push(n)
  return out
}

/** Builds one input: random bytes, or a seed mutated by one to three operators. */
export function makeFuzzInput (rand: () => number, seeds: Uint8Array[], maxRandomBytes = 2048): Uint8Array {
  const int = (n: number): number => Math.floor(rand() * n)
  if (seeds.length === 0 || rand() < 0.15) {
    const len = rand() < 0.5 ? int(32) : int(maxRandomBytes + 1)
    const b = new Uint8Array(len)
    for (let i = 0; i < len; i++) b[i] = int(256)
    return b
  }
  let b = Array.from(seeds[int(seeds.length)])
  const ops = 1 + int(3)
  for (let k = 0; k < ops; k++) {
    const pos = int(b.length + 1)
    switch (int(9)) {
      case 0: // bit flips
        for (let j = 1 + int(8); j > 0 && b.length > 0; j--) { const i = int(b.length); b[i] ^= 1 << int(8) }
        break
      case 1: // truncation
        b = b.slice(0, int(b.length + 1))
        break
      case 2: { // extension with random or zero bytes
        const n = 1 + int(rand() < 0.8 ? 16 : 4096)
        for (let j = 0; j < n; j++) b.push(rand() < 0.5 ? 0 : int(256))
        break
      }
      case 3: // interesting byte
        if (b.length > 0) b[int(b.length)] = INTERESTING[int(INTERESTING.length)]
        break
      case 4: { // length-field corruption: overwrite with a varint, small, near a boundary or huge
        const choices = [int(128), int(1 << 14), 0x7fffffff, 0xffffffff, 2 ** 53, b.length - pos + int(5) - 2]
        const v = varint(Math.max(0, choices[int(choices.length)]))
        b.splice(pos, rand() < 0.5 ? 1 : 0, ...v)
        break
      }
      case 5: // delete a run
        b.splice(pos, 1 + int(16))
        break
      case 6: { // duplicate a run
        const start = int(b.length + 1)
        b.splice(pos, 0, ...b.slice(start, start + 1 + int(64)))
        break
      }
      case 7: { // splice with another seed
        const other = seeds[int(seeds.length)]
        b = b.slice(0, pos).concat(Array.from(other.subarray(int(other.length + 1))))
        break
      }
      default: // random byte
        if (b.length > 0) b[int(b.length)] = int(256)
    }
  }
  return Uint8Array.from(b)
}

const hex = (b: Uint8Array): string => Buffer.from(b.subarray(0, 96)).toString('hex') + (b.length > 96 ? `…(${b.length} bytes)` : '')

/** Runs the fuzzer, makes one assertion per property (not per case) and returns the counts. */
export async function fuzzDecoder<T> (t: FuzzTest, opts: FuzzDecoderOptions<T>): Promise<FuzzReport> {
  const seed = opts.seed ?? 0x7e2a
  const rand = prng(seed)
  const maxCaseMs = opts.maxCaseMs ?? 250
  const maxHeap = opts.maxHeapGrowthBytes ?? 128 * 1024 * 1024
  const gc = v8Gc()
  gc?.()
  const heapBefore = process.memoryUsage().heapUsed
  const report: FuzzReport = { cases: 0, accepted: 0, rejected: 0, failures: 0, codes: {}, totalMs: 0, slowestCaseMs: 0, heapGrowthBytes: 0 }
  const firstFailures: string[] = []
  const start = performance.now()

  for (let i = 0; i < opts.cases; i++) {
    const input = makeFuzzInput(rand, opts.seeds, opts.maxRandomBytes)
    const t0 = performance.now()
    let failure: string | undefined
    try {
      const value = opts.decode(input)
      report.accepted++
      if (opts.onAccept !== undefined) {
        try { opts.onAccept(value, input) } catch (err) { failure = `onAccept threw ${String(err)}` }
      }
    } catch (err) {
      const code = (err as { code?: unknown })?.code
      if (!(err instanceof opts.typedErrorBase) || typeof code !== 'string') {
        failure = `untyped exception ${String(err)}`
      } else if (opts.codes !== undefined && !opts.codes.includes(code)) {
        failure = `unexpected code ${code}`
      } else {
        report.rejected++
        report.codes[code] = (report.codes[code] ?? 0) + 1
      }
    }
    let ms = performance.now() - t0
    // A slow case is timed again (best of 3) so a GC pause or a busy machine is not mistaken for a super-linear input.
    for (let k = 0; k < 2 && ms > maxCaseMs / 4; k++) {
      const t1 = performance.now()
      try { opts.decode(input) } catch {}
      ms = Math.min(ms, performance.now() - t1)
    }
    if (ms > report.slowestCaseMs) report.slowestCaseMs = ms
    if (failure !== undefined) {
      report.failures++
      if (firstFailures.length < 5) firstFailures.push(`case ${i} (seed ${seed}): ${failure}; input ${hex(input)}`)
    }
    report.cases++
    if (i % 2000 === 1999) await yieldToLoop()
  }

  report.totalMs = performance.now() - start
  gc?.()
  report.heapGrowthBytes = process.memoryUsage().heapUsed - heapBefore
  t.equal(report.failures, 0, `${opts.name}: only typed errors over ${report.cases} cases`, { failures: firstFailures })
  t.ok(report.slowestCaseMs <= maxCaseMs, `${opts.name}: slowest case ${report.slowestCaseMs.toFixed(2)} ms <= ${maxCaseMs} ms`)
  t.ok(report.heapGrowthBytes <= maxHeap, `${opts.name}: heap grew ${(report.heapGrowthBytes / 1048576).toFixed(1)} MiB <= ${(maxHeap / 1048576).toFixed(0)} MiB`)
  t.comment(`fuzz ${opts.name}: ${report.cases} cases in ${report.totalMs.toFixed(0)} ms (accepted ${report.accepted}, rejected ${report.rejected}, slowest ${report.slowestCaseMs.toFixed(2)} ms) codes ${JSON.stringify(report.codes)}`)
  return report
}

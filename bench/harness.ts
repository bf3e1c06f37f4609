/**
 * One harness for every two-party messaging protocol the bench compares (Tern's and libsignal's): each implements
 * `SessionHarness` once, and the loops below drive all of them identically, with the same plaintexts, the same
 * warm-up, the same iteration counts and the same output check. Implementations keep every session state serialised
 * as bytes between operations (load + deserialise before, serialise + store after), as a database-backed store does.
 */
import { createHash } from 'node:crypto'
import { performance } from 'node:perf_hooks'

/** 0 = "Alice", the side whose session setup sends the first ratchet message (libsignal: who processed the bundle;
 * Tern: the inviter, who answers the contact request), 1 = "Bob". */
export type Side = 0 | 1

export interface SessionHarness<Prep = unknown, Pair = unknown> {
  name: string
  /**
   * Untimed: long-term identities of both parties and the responder's published prekey material for ONE fresh
   * session (a bundle's one-time keys are used once).
   */
  prepare: () => Promise<Prep>
  /** Timed by "session setup": from the published material until both sides hold a session they can send on. */
  setup: (prep: Prep) => Promise<Pair>
  /** Encrypts `plaintext` from `from` to the other side; returns the bytes that would go on the wire. */
  send: (pair: Pair, from: Side, plaintext: Uint8Array) => Promise<Uint8Array>
  /** Decrypts wire bytes at `to`; returns the plaintext exactly as it was given to `send`. */
  receive: (pair: Pair, to: Side, bytes: Uint8Array) => Promise<Uint8Array>
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyHarness = SessionHarness<any, any>

/** What an implementation's module (bench/tern-session.ts, bench/libsignal/session.ts) hands the bench. */
export interface Implementation {
  harness: AnyHarness
  /** How its message path is built (e.g. padding), printed with the message figures. */
  messageNote: string
  /** What its `setup` covers, printed with the session-setup figure. */
  setupNote: string
}

export type Pattern = 'one-way' | 'alternating'

/** `count` deterministic pseudo-random buffers of `size` bytes, shared by every harness. */
export function fixedPlaintexts (count: number, size: number): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    const b = new Uint8Array(size)
    for (let o = 0, block = 0; o < size; block++) {
      const h = createHash('sha256').update(`tern-bench-plaintext/${i}/${block}`).digest()
      b.set(h.subarray(0, Math.min(32, size - o)), o)
      o += 32
    }
    out.push(b)
  }
  return out
}

/**
 * A run's rate measured two ways: by the wall clock (the figure) and by the process's CPU time (user + system, all
 * threads), which stays comparable when other processes load the machine.
 */
export interface Rate { wall: number, cpu: number }

/** Times `n` operations done by `f`. */
async function timed (n: number, f: () => Promise<void>): Promise<Rate> {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await f()
  const secs = (performance.now() - t0) / 1000
  const c = process.cpuUsage(c0)
  return { wall: n / secs, cpu: n / ((c.user + c.system) / 1e6) }
}

export class OutputMismatchError extends Error {
  constructor (harness: string, i: number) {
    super(`${harness}: decrypted plaintext #${i} differs from the one sent`)
    this.name = 'OutputMismatchError'
  }
}

/** memcmp through Buffer.equals: ~100 ns for 1 KiB, negligible next to a ratchet step. */
function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length &&
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
}

async function exchange<Prep, P> (h: SessionHarness<Prep, P>, pair: P, from: Side, pt: Uint8Array, i: number): Promise<void> {
  const wire = await h.send(pair, from, pt)
  const got = await h.receive(pair, from === 0 ? 1 : 0, wire)
  if (!sameBytes(got, pt)) throw new OutputMismatchError(h.name, i)
}

/**
 * One run of the message benchmark: a fresh session; a warm-up (one round trip first, so that neither side is still
 * in its session-setup mode, e.g. libsignal's PreKey messages, then `warmup` messages in `pattern`); then `n` timed
 * messages. Returns messages per second (one message = one encrypt + one decrypt + the state round trips).
 * one-way: Alice sends every message (symmetric chain steps only); alternating: the sender flips every message, so
 * every message carries a new ratchet key and every decrypt makes a DH ratchet step.
 */
export async function messageRun<Prep, P> (h: SessionHarness<Prep, P>, pattern: Pattern, n: number, warmup: number,
  plaintexts: Uint8Array[]): Promise<Rate> {
  const pair = await h.setup(await h.prepare())
  const sideOf = (i: number): Side => pattern === 'one-way' ? 0 : (i % 2 === 0 ? 0 : 1)
  await exchange(h, pair, 0, plaintexts[0], -2)
  await exchange(h, pair, 1, plaintexts[1], -1)
  for (let i = 0; i < warmup; i++) await exchange(h, pair, sideOf(i), plaintexts[i % plaintexts.length], i)
  return await timed(n, async () => {
    for (let i = 0; i < n; i++) await exchange(h, pair, sideOf(i), plaintexts[i % plaintexts.length], i)
  })
}

/** One run of the session-setup benchmark: `n` fresh sessions (material prepared untimed beforehand). Sessions/s. */
export async function setupRun<Prep, P> (h: SessionHarness<Prep, P>, n: number, warmup: number): Promise<Rate> {
  for (let i = 0; i < warmup; i++) await h.setup(await h.prepare())
  const preps: Prep[] = []
  for (let i = 0; i < n; i++) preps.push(await h.prepare())
  return await timed(n, async () => {
    for (const p of preps) await h.setup(p)
  })
}

/**
 * Runs `run` `runs` times for every harness, interleaved (A B, B A, A B, ...) so that load from other processes on
 * this machine hits all harnesses alike; returns every run's figure per harness name.
 */
export async function interleaved<T> (names: string[], runs: number, run: (index: number) => Promise<T>):
Promise<T[][]> {
  const out = names.map(() => [] as T[])
  for (let r = 0; r < runs; r++) {
    const order = names.map((_, i) => i)
    if (r % 2 === 1) order.reverse()
    for (const i of order) out[i].push(await run(i))
  }
  return out
}

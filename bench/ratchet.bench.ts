/**
 * Protocol bench: Tern's session (handshake + Double Ratchet with header encryption) against
 * @signalapp/libsignal-client 0.103 (in-memory stores that keep records serialised), both driven by the one harness
 * of bench/harness.ts: the same 1 KiB plaintexts, the same warm-up and iteration counts, every state serialised to
 * bytes and restored around every operation, every decrypted plaintext compared with the one sent.
 * Figures: `ratchet 1KiB one-way`, `ratchet 1KiB alternating` (msg/s), `session setup` (sessions/s), each with
 * libsignal as the reference and the ratio Tern / libsignal. Median of RUNS runs; the runs of the two
 * implementations are interleaved so that load from elsewhere on the machine hits both alike.
 * Targets (issue): one-way ≥ 2x, alternating ≥ 1.5x.
 */
import { availableParallelism, loadavg } from 'node:os'
import { fixedPlaintexts, interleaved, messageRun, setupRun, type AnyHarness, type Implementation, type Rate } from './harness.js'
import { median, type Reporter } from './reporter.js'
import { ternImplementation } from './tern-session.js'

/** Runs per figure per implementation; the figure is their median. */
const RUNS = 5
/** Timed messages per run (~0.5-1 s for libsignal here). */
const MESSAGES = 2000
/** Untimed messages after the session's first round trip. */
const WARMUP_MESSAGES = 200
/** Timed sessions per setup run. */
const SESSIONS = 100
/** Untimed sessions set up before each setup run. */
const WARMUP_SESSIONS = 10
/** Plaintext size in bytes, and how many distinct plaintexts cycle through a run. */
const PLAINTEXT_BYTES = 1024
const PLAINTEXT_COUNT = 64

/** libsignal is optional (a platform without its native prebuild still gets Tern's figures); Tern is not. */
async function loadLibsignal (firstMessage: Uint8Array, r: Reporter): Promise<Implementation | undefined> {
  try {
    return (await import('./libsignal/session.js')).libsignalImplementation(firstMessage)
  } catch (e) {
    r.log(`libsignal not available, figures without reference: ${e instanceof Error ? e.message : String(e)}`)
    return undefined
  }
}

const fmtRun = (n: number): string => n >= 100 ? Math.round(n).toString() : n.toPrecision(3)
const spread = (xs: number[]): string => `${fmtRun(Math.min(...xs))}-${fmtRun(Math.max(...xs))}`

export default async function (r: Reporter): Promise<void> {
  const plaintexts = fixedPlaintexts(PLAINTEXT_COUNT, PLAINTEXT_BYTES)
  const tern = await ternImplementation(plaintexts[1].subarray(0, 64))
  const lib = await loadLibsignal(plaintexts[0].subarray(0, 64), r)

  /** Runs `measure` for Tern and libsignal (interleaved) and reports Tern's figure against libsignal's. */
  const figure = async (name: string, unit: string, notes: string[], measure: (h: AnyHarness) => Promise<Rate>): Promise<void> => {
    const impls = lib === undefined ? [tern] : [tern, lib]
    const [t, l] = await interleaved(impls.map(p => p.harness.name), RUNS, i => measure(impls[i].harness))
    const wall = (rs: Rate[]): number[] => rs.map(x => x.wall)
    const cpu = (rs: Rate[]): number => median(rs.map(x => x.cpu))
    const value = median(wall(t))
    const all = [`median of ${RUNS} runs; tern ${spread(wall(t))}`]
    if (l !== undefined) {
      all.push(`libsignal ${spread(wall(l))}`)
      all.push(`by CPU time: tern ${fmtRun(cpu(t))}, libsignal ${fmtRun(cpu(l))}, ratio ${(cpu(t) / cpu(l)).toFixed(2)}x`)
    }
    all.push(...notes)
    r.add({
      name,
      value,
      unit,
      ...(l !== undefined ? { reference: median(wall(l)), ratio: value / median(wall(l)) } : {}),
      note: all.join('; ')
    })
  }

  const load1 = loadavg()[0]
  if (load1 > availableParallelism()) {
    r.log(`WARNING: load average ${load1.toFixed(1)} on ${availableParallelism()} CPUs: wall-clock figures are unreliable; ` +
      'compare the CPU-time ratios in the notes')
  }

  r.log(`tern: ${tern.messageNote}; session setup = ${tern.setupNote}`)
  if (lib !== undefined) r.log(`libsignal: ${lib.messageNote}; session setup = ${lib.setupNote}`)
  r.log(`${MESSAGES} msgs/run after a round trip + ${WARMUP_MESSAGES} warm-up msgs; ${SESSIONS} sessions/run after ` +
    `${WARMUP_SESSIONS} warm-up; identities and prekeys made untimed; every state serialised around every operation`)
  await figure('ratchet 1KiB one-way', 'msg/s', ['target >= 2x', 'tern pads to the 4 KiB bucket'],
    h => messageRun(h, 'one-way', MESSAGES, WARMUP_MESSAGES, plaintexts))
  await figure('ratchet 1KiB alternating', 'msg/s', ['target >= 1.5x', 'a DH step every message', 'tern pads to the 4 KiB bucket'],
    h => messageRun(h, 'alternating', MESSAGES, WARMUP_MESSAGES, plaintexts))
  await figure('session setup', 'sessions/s', ['tern: full contact handshake incl. ML-KEM-768', 'libsignal: PQXDH incl. Kyber-1024'],
    h => setupRun(h, SESSIONS, WARMUP_SESSIONS))
}

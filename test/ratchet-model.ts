/**
 * The schedule model shared by test/ratchet-properties.test.ts and test/slow/ratchet-soak.test.ts: random operations
 * (sends in bursts and long one-way runs, deliveries in any order, loss, duplicates, codec round trips) and a
 * runner that predicts every outcome and throws on the first divergence.
 */
import fc from 'fast-check'
import { toHex } from '../protocol/crypto/index.js'
import {
  deserializeState, ratchetDecrypt, ratchetEncrypt, serializeState, MAX_RECEIVING_CHAINS,
  type RatchetMessage, type RatchetState
} from '../protocol/ratchet/index.js'
import { codeOf, newPair, snap } from './ratchet-helpers.js'

export type Op =
  | { kind: 'send', from: 0 | 1, count: number }
  | { kind: 'deliver', to: 0 | 1, pick: number }
  | { kind: 'duplicate', to: 0 | 1, pick: number }
  | { kind: 'drop', to: 0 | 1, pick: number }
  | { kind: 'persist', who: 0 | 1 }

const side = fc.constantFrom<0 | 1>(0, 1)
export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('send' as const), from: side, count: fc.integer({ min: 1, max: 4 }) }), weight: 6 },
  { arbitrary: fc.record({ kind: fc.constant('send' as const), from: side, count: fc.integer({ min: 20, max: 120 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('deliver' as const), to: side, pick: fc.nat() }), weight: 8 },
  { arbitrary: fc.record({ kind: fc.constant('duplicate' as const), to: side, pick: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('drop' as const), to: side, pick: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('persist' as const), who: side }), weight: 2 }
)

interface Sent { from: 0 | 1, chain: number, n: number, text: string, message: RatchetMessage, delivered: boolean, lost: boolean }

/** Most messages one schedule sends: keeps every skip under MAX_SKIP and the skipped keys under their bound. */
const MAX_SENDS = 900

/** Runs one schedule against the model; throws on the first divergence. Returns counters for reporting. */
export function runSchedule (seed: string, ops: Op[]): { sent: number, delivered: number, rejected: number, forgotten: number } {
  const p = newPair(seed)
  const states: RatchetState[] = [p.alice, p.bob]
  const sendChain = [1, 0]; const pending = [false, false]; const maxSeen = [0, 0]; const counter = [0, 0]
  const sent: Sent[] = []
  let delivered = 0; let rejected = 0; let forgotten = 0
  const fail = (msg: string): never => { throw new Error(`${seed}: ${msg}`) }
  const expectFailure = (who: 0 | 1, m: Sent, code: string): void => {
    const before = snap(states[who])
    const got = codeOf(() => ratchetDecrypt(states[who], m.message))
    if (got !== code) fail(`${m.text}: expected ${code}, got ${got}`)
    if (snap(states[who]) !== before) fail('a failed decrypt changed the state')
    rejected++
    if (code === 'ERR_UNKNOWN_HEADER_KEY') forgotten++
  }
  for (const op of ops) {
    if (op.kind === 'send') {
      for (let i = 0; i < op.count && sent.length < MAX_SENDS; i++) {
        const from = op.from
        if (from === 1 && maxSeen[1] === 0) {
          if (codeOf(() => ratchetEncrypt(states[1], new Uint8Array(1), p.rng)) !== 'ERR_RATCHET_NOT_READY') fail('bob sent first')
          break
        }
        if (pending[from]) { sendChain[from]++; pending[from] = false; counter[from] = 0 }
        const text = `${from}/${sendChain[from]}/${counter[from]}`
        const e = ratchetEncrypt(states[from], new TextEncoder().encode(text), p.rng)
        states[from] = e.state
        sent.push({ from, chain: sendChain[from], n: counter[from]++, text, message: e.message, delivered: false, lost: false })
      }
    } else if (op.kind === 'persist') {
      const bytes = serializeState(states[op.who])
      states[op.who] = deserializeState(bytes)
      if (toHex(serializeState(states[op.who])) !== toHex(bytes)) fail('codec round trip differs')
    } else {
      const to = op.to
      const pool = sent.filter(m => m.from !== to && (op.kind === 'duplicate' ? m.delivered : !m.delivered && !m.lost))
      if (pool.length === 0) continue
      const m = pool[op.pick % pool.length]
      if (op.kind === 'drop') { m.lost = true; continue }
      if (m.chain <= maxSeen[to] - MAX_RECEIVING_CHAINS) { expectFailure(to, m, 'ERR_UNKNOWN_HEADER_KEY'); continue }
      if (m.delivered) { expectFailure(to, m, 'ERR_DUPLICATE_MESSAGE'); continue }
      let r: { state: RatchetState, plaintext: Uint8Array }
      try {
        r = ratchetDecrypt(states[to], m.message)
      } catch (err) {
        return fail(`${m.text} did not decrypt: ${(err as Error).message}`)
      }
      if (new TextDecoder().decode(r.plaintext) !== m.text) fail(`${m.text} decrypted to something else`)
      states[to] = r.state
      m.delivered = true; delivered++
      if (m.chain > maxSeen[to]) {
        if (m.chain !== maxSeen[to] + 1) fail('model: chain jumped')
        maxSeen[to] = m.chain; pending[to] = true
      }
    }
  }
  // finally deliver everything still in flight (not lost): all must decrypt once, then all replays are typed
  for (const m of sent) {
    if (m.delivered || m.lost) continue
    const to = m.from === 0 ? 1 : 0
    if (m.chain <= maxSeen[to] - MAX_RECEIVING_CHAINS) { expectFailure(to, m, 'ERR_UNKNOWN_HEADER_KEY'); continue }
    const r = ratchetDecrypt(states[to], m.message)
    if (new TextDecoder().decode(r.plaintext) !== m.text) fail(`${m.text} decrypted to something else`)
    states[to] = r.state; m.delivered = true; delivered++
  }
  for (const m of sent) {
    const to = m.from === 0 ? 1 : 0
    if (m.chain <= maxSeen[to] - MAX_RECEIVING_CHAINS) continue
    if (m.delivered) expectFailure(to, m, 'ERR_DUPLICATE_MESSAGE')
  }
  return { sent: sent.length, delivered, rejected, forgotten }
}

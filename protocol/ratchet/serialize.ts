/**
 * Storage codec of RatchetState, format version 1 (PROTOCOL.md §6.8). The storage schema, not a wire format: it
 * never leaves the device. Decoding rejects in a fixed order, each with its own error: empty → version → flags →
 * truncation of any field → limits and invariants → trailing bytes.
 */
import { abytes } from '../crypto/index.js'
import { MAX_COUNTER, MAX_RECEIVING_CHAINS, MAX_SKIPPED_KEYS, STATE_VERSION } from './constants.js'
import { StateMalformedError, StateTruncatedError, StateVersionError } from './errors.js'
import type { RatchetState, ReceivingChain } from './state.js'

const F_DH_REMOTE = 1
const F_SEND_CHAIN = 2
const F_RECV_CHAIN = 4
const F_SEND_HEADER = 8
const KNOWN_FLAGS = F_DH_REMOTE | F_SEND_CHAIN | F_RECV_CHAIN | F_SEND_HEADER

/** Size of a serialised state with no optional key, no AD and no chain. */
const FIXED_BYTES = 1 + 1 + 64 + 32 + 32 + 32 + 12 + 2 + 1

export function serializeState (state: RatchetState): Uint8Array {
  let size = FIXED_BYTES + state.associatedData.length
  let flags = 0
  if (state.dhRemote !== null) { flags |= F_DH_REMOTE; size += 32 }
  if (state.sendChainKey !== null) { flags |= F_SEND_CHAIN; size += 32 }
  if (state.recvChainKey !== null) { flags |= F_RECV_CHAIN; size += 32 }
  if (state.sendHeaderKey !== null) { flags |= F_SEND_HEADER; size += 32 }
  for (const c of state.recvChains) size += 34 + 36 * c.skipped.size
  // Straight-line writes, no closure and no destructuring iteration: this runs on every message of both sides, and
  // before V8 optimises it (and while it compiles it: the closure version took TurboFan 18-20 ms) that matters.
  const out = new Uint8Array(size)
  out[0] = STATE_VERSION
  out[1] = flags
  let o = 2
  out.set(state.dhSelf.secretKey, o); o += 32
  out.set(state.dhSelf.publicKey, o); o += 32
  if (state.dhRemote !== null) { out.set(state.dhRemote, o); o += 32 }
  out.set(state.rootKey, o); o += 32
  if (state.sendChainKey !== null) { out.set(state.sendChainKey, o); o += 32 }
  if (state.recvChainKey !== null) { out.set(state.recvChainKey, o); o += 32 }
  if (state.sendHeaderKey !== null) { out.set(state.sendHeaderKey, o); o += 32 }
  out.set(state.nextSendHeaderKey, o); o += 32
  out.set(state.nextRecvHeaderKey, o); o += 32
  o = u32(out, o, state.sendCount)
  o = u32(out, o, state.recvCount)
  o = u32(out, o, state.prevSendCount)
  const ad = state.associatedData
  out[o] = ad.length >>> 8; out[o + 1] = ad.length & 0xff; o += 2
  out.set(ad, o); o += ad.length
  const chains = state.recvChains
  out[o++] = chains.length
  for (let i = 0; i < chains.length; i++) {
    const c = chains[i]
    out.set(c.headerKey, o); o += 32
    const k = c.skipped.size
    out[o] = k >>> 8; out[o + 1] = k & 0xff; o += 2
    if (k > 0) o = writeSkipped(out, o, c.skipped)
  }
  return out
}

/** The skipped keys of a chain, N (u32) and seed each, in insertion (ascending N) order; returns the offset after. */
function writeSkipped (out: Uint8Array, o: number, skipped: ReadonlyMap<number, Uint8Array>): number {
  for (const [n, seed] of skipped) { o = u32(out, o, n); out.set(seed, o); o += seed.length }
  return o
}

/** Writes `n` (u32) big-endian at `o`; returns the offset after it. */
function u32 (out: Uint8Array, o: number, n: number): number {
  out[o] = n >>> 24; out[o + 1] = (n >>> 16) & 0xff; out[o + 2] = (n >>> 8) & 0xff; out[o + 3] = n & 0xff
  return o + 4
}

/** Bounds-checked reader over a stored state; a class at module scope so the hot path creates no closures. */
class StateReader {
  private readonly v: DataView
  constructor (private readonly b: Uint8Array, private o: number) {
    this.v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  }

  private need (n: number): void { if (this.o + n > this.b.length) throw new StateTruncatedError() }
  bytes (n: number): Uint8Array { this.need(n); this.o += n; return this.b.slice(this.o - n, this.o) }
  key (): Uint8Array { return this.bytes(32) }
  u8 (): number { this.need(1); return this.b[this.o++] }
  u16 (): number { this.need(2); this.o += 2; return this.v.getUint16(this.o - 2) }
  u32 (): number { this.need(4); this.o += 4; return this.v.getUint32(this.o - 4) }
  done (): boolean { return this.o === this.b.length }
}

export function deserializeState (bytes: Uint8Array): RatchetState {
  abytes(bytes, undefined, 'state bytes')
  if (bytes.length < 1) throw new StateTruncatedError('empty state')
  if (bytes[0] !== STATE_VERSION) throw new StateVersionError(`unknown ratchet state version ${bytes[0]}`)
  if (bytes.length < 2) throw new StateTruncatedError()
  const flags = bytes[1]
  if ((flags & ~KNOWN_FLAGS) !== 0) throw new StateMalformedError('unknown flags')
  const has = (f: number): boolean => (flags & f) !== 0
  if (has(F_SEND_HEADER) !== has(F_DH_REMOTE) || (has(F_SEND_CHAIN) && !has(F_DH_REMOTE)) ||
      (has(F_RECV_CHAIN) && !has(F_DH_REMOTE))) {
    throw new StateMalformedError('inconsistent flags')
  }
  // Every field is copied into its own buffer: the state never aliases the caller's bytes, and no field keeps a
  // larger buffer (holding keys the state later drops) alive in memory.
  const r = new StateReader(bytes, 2)

  const secretKey = r.key()
  const publicKey = r.key()
  const dhRemote = ((flags & F_DH_REMOTE) !== 0 ? r.key() : null)
  const rootKey = r.key()
  const sendChainKey = ((flags & F_SEND_CHAIN) !== 0 ? r.key() : null)
  const recvChainKey = ((flags & F_RECV_CHAIN) !== 0 ? r.key() : null)
  const sendHeaderKey = ((flags & F_SEND_HEADER) !== 0 ? r.key() : null)
  const nextSendHeaderKey = r.key()
  const nextRecvHeaderKey = r.key()
  const sendCount = r.u32()
  const recvCount = r.u32()
  const prevSendCount = r.u32()
  const associatedData = r.bytes(r.u16())
  const chainCount = r.u8()
  if (chainCount > MAX_RECEIVING_CHAINS) throw new StateMalformedError('too many receiving chains')
  if ((chainCount > 0) !== has(F_RECV_CHAIN)) throw new StateMalformedError('receiving chains without a chain key')
  const recvChains: ReceivingChain[] = []
  let total = 0
  for (let i = 0; i < chainCount; i++) {
    const headerKey = r.key()
    const count = r.u16()
    total += count
    if (total > MAX_SKIPPED_KEYS) throw new StateMalformedError('too many skipped keys')
    const skipped = new Map<number, Uint8Array>()
    let last = -1
    for (let j = 0; j < count; j++) {
      const n = r.u32()
      if (n <= last || n >= MAX_COUNTER) throw new StateMalformedError('skipped keys out of order')
      if (i === chainCount - 1 && n >= recvCount) throw new StateMalformedError('skipped key ahead of its chain')
      last = n
      skipped.set(n, r.key())
    }
    recvChains.push({ headerKey, skipped })
  }
  if (!r.done()) throw new StateMalformedError('trailing bytes')
  return {
    dhSelf: { secretKey, publicKey },
    dhRemote,
    rootKey,
    sendChainKey,
    recvChainKey,
    sendHeaderKey,
    nextSendHeaderKey,
    nextRecvHeaderKey,
    sendCount,
    recvCount,
    prevSendCount,
    recvChains,
    associatedData
  }
}

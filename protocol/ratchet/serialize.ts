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
  const out = new Uint8Array(size)
  const v = new DataView(out.buffer)
  let o = 0
  const put = (b: Uint8Array): void => { out.set(b, o); o += b.length }
  out[o++] = STATE_VERSION
  out[o++] = flags
  put(state.dhSelf.secretKey)
  put(state.dhSelf.publicKey)
  if (state.dhRemote !== null) put(state.dhRemote)
  put(state.rootKey)
  if (state.sendChainKey !== null) put(state.sendChainKey)
  if (state.recvChainKey !== null) put(state.recvChainKey)
  if (state.sendHeaderKey !== null) put(state.sendHeaderKey)
  put(state.nextSendHeaderKey)
  put(state.nextRecvHeaderKey)
  v.setUint32(o, state.sendCount); o += 4
  v.setUint32(o, state.recvCount); o += 4
  v.setUint32(o, state.prevSendCount); o += 4
  v.setUint16(o, state.associatedData.length); o += 2
  put(state.associatedData)
  out[o++] = state.recvChains.length
  for (const c of state.recvChains) {
    put(c.headerKey)
    v.setUint16(o, c.skipped.size); o += 2
    for (const [n, k] of c.skipped) {
      v.setUint32(o, n); o += 4
      put(k)
    }
  }
  return out
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

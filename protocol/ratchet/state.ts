/**
 * The Double Ratchet state (PROTOCOL.md §6.1). Immutable by contract: operations build a new object and share the
 * buffers they did not change, so a caller may keep an old state (it stays valid) and must drop it to forget keys.
 * Names follow the Signal specification §3.2/§4.
 */
import type { X25519KeyPair } from '../crypto/index.js'

/** A receiving chain the state still recognises: its header key and the message keys skipped in it. */
export interface ReceivingChain {
  /** The header key of this chain (HKr while it is the current one). */
  readonly headerKey: Uint8Array
  /** Skipped message-key seeds by message number N, in ascending N (insertion order). */
  readonly skipped: ReadonlyMap<number, Uint8Array>
}

export interface RatchetState {
  /** DHs: our current ratchet key pair. */
  readonly dhSelf: Readonly<X25519KeyPair>
  /** DHr: the peer's current ratchet public key; null for the receiver before its first message. */
  readonly dhRemote: Uint8Array | null
  /** RK: root key. */
  readonly rootKey: Uint8Array
  /** CKs: sending chain key; null when the sending half of a DH step is pending (done at the next encrypt). */
  readonly sendChainKey: Uint8Array | null
  /** CKr: receiving chain key; null before the first received message. */
  readonly recvChainKey: Uint8Array | null
  /** HKs: sending header key; null for the receiver before its first message. */
  readonly sendHeaderKey: Uint8Array | null
  /** NHKs: next sending header key. */
  readonly nextSendHeaderKey: Uint8Array
  /** NHKr: next receiving header key. */
  readonly nextRecvHeaderKey: Uint8Array
  /** Ns: messages sent in the current sending chain. */
  readonly sendCount: number
  /** Nr: messages received in the current receiving chain. */
  readonly recvCount: number
  /** PN: messages in the previous sending chain. */
  readonly prevSendCount: number
  /**
   * Receiving chains, oldest first, at most MAX_RECEIVING_CHAINS. When recvChainKey is set the last one is the
   * current chain (its headerKey is HKr); older ones keep skipped keys and recognise replays.
   */
  readonly recvChains: readonly ReceivingChain[]
  /** AD: associated data bound into every header and body AEAD. */
  readonly associatedData: Uint8Array
  /**
   * Not stored (§6.8), a hint for speed only: a message opened under HKr while we had a sending chain, so the peer had
   * not yet seen that chain; decrypt then tries HKr before NHKr (ratchet.ts). Dropped when we start a sending chain.
   */
  readonly peerOnCurrent?: true
}

/** Total number of skipped message keys held. */
export function skippedCount (chains: readonly ReceivingChain[]): number {
  let n = 0
  for (const c of chains) n += c.skipped.size
  return n
}

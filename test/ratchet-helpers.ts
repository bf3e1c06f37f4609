/**
 * Shared set-up for the ratchet tests (test/ratchet-*.test.ts): a fresh Alice/Bob pair from a seeded Rng, state
 * snapshots, and a typed-error assertion that fails on any exception that is not a TernError with the given code.
 */
import { seededRng, toHex, x25519KeyPair, type Rng } from '../protocol/crypto/index.js'
import { TernError } from '../protocol/errors.js'
import { initReceiver, initSender, serializeState, type RatchetState } from '../protocol/ratchet/index.js'

export interface Pair { alice: RatchetState, bob: RatchetState, rng: Rng, ad: Uint8Array }

export function newPair (seed: string, adBytes = 48): Pair {
  const rng = seededRng(seed)
  const rootKey = rng(32); const hka = rng(32); const nhkb = rng(32); const ad = rng(adBytes)
  const bobKp = x25519KeyPair(rng)
  const alice = initSender({ rootKey, sendHeaderKey: hka, nextRecvHeaderKey: nhkb, remoteRatchetKey: bobKp.publicKey, associatedData: ad, rng })
  const bob = initReceiver({ rootKey, sendHeaderKey: hka, nextRecvHeaderKey: nhkb, ownRatchetKeyPair: bobKp, associatedData: ad })
  return { alice, bob, rng, ad }
}

export const snap = (s: RatchetState): string => toHex(serializeState(s))

/** Runs `f`; returns the error code of the TernError it throws, or 'NO_ERROR' / 'UNTYPED:<name>'. */
export function codeOf (f: () => unknown): string {
  try {
    f()
    return 'NO_ERROR'
  } catch (err) {
    return err instanceof TernError ? err.code : `UNTYPED:${(err as Error)?.name ?? String(err)}`
  }
}

/** Whether `needle` occurs anywhere in `hay`. */
export function contains (hay: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(Buffer.from(needle.buffer, needle.byteOffset, needle.byteLength)) >= 0
}

/**
 * Raw 32-byte OKP keys (X25519, Ed25519) to node:crypto KeyObjects via JWK, the fast import path measured here
 * (~5x DER). Node derives the public key from `d` and ignores the JWK `x`, so private keys are imported with a
 * zero `x` and never exported as JWK (Node 20.20 deadlock: shared/STACK-NOTES.md).
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'

export type OkpCurve = 'X25519' | 'Ed25519'

const ZERO_X = Buffer.alloc(32).toString('base64url')
const b64u = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url')

export function importPrivate (crv: OkpCurve, secret: Uint8Array): KeyObject {
  return createPrivateKey({ key: { kty: 'OKP', crv, d: b64u(secret), x: ZERO_X }, format: 'jwk' })
}

export function importPublic (crv: OkpCurve, pub: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv, x: b64u(pub) }, format: 'jwk' })
}

/** The raw 32-byte public key of a private KeyObject (exported as SPKI DER: the raw key is its last 32 bytes). */
export function rawPublicOf (priv: KeyObject): Uint8Array {
  const der = createPublicKey(priv).export({ type: 'spki', format: 'der' })
  return new Uint8Array(der.subarray(der.length - 32))
}

/**
 * Raw 32-byte Ed25519 keys to node:crypto KeyObjects via JWK, the fast import path measured here (~5x DER).
 * (X25519 runs on libsodium with raw buffers: x25519.ts.) Node derives the public key from `d` and ignores the JWK `x`, so private keys are imported with a
 * zero `x`.
 *
 * Public keys come out through a JWK export of the PUBLIC KeyObject (~0 us, against ~80 us for an SPKI DER export,
 * which goes through OpenSSL 3's encoder). shared/STACK-NOTES.md records a Node 20.20 deadlock with JWK export
 * after `generateKeyPairSync` (a mutex held across the GC of a key-generation job). Tern never creates key jobs:
 * keys come from the caller's Rng and are imported. Measured here: the recorded pattern (generateKeyPairSync + JWK
 * export) hung between 1.0 and 1.1 million iterations; this module's pattern (JWK import, createPublicKey, JWK
 * export, forced GCs) ran 4 million iterations without a stall. Never call generateKeyPair* with it.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'

export type OkpCurve = 'Ed25519'

const ZERO_X = Buffer.alloc(32).toString('base64url')
const b64u = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url')

export function importPrivate (crv: OkpCurve, secret: Uint8Array): KeyObject {
  return createPrivateKey({ key: { kty: 'OKP', crv, d: b64u(secret), x: ZERO_X }, format: 'jwk' })
}

export function importPublic (crv: OkpCurve, pub: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv, x: b64u(pub) }, format: 'jwk' })
}

/** The raw 32-byte public key of a private KeyObject (see the module comment for why JWK). */
export function rawPublicOf (priv: KeyObject): Uint8Array {
  const jwk = createPublicKey(priv).export({ format: 'jwk' })
  return new Uint8Array(Buffer.from(jwk.x as string, 'base64url'))
}

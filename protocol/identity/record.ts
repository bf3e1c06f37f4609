/**
 * Storage bridges (PROTOCOL.md §2.5): the stored form of secret-bearing state is separate from every wire format.
 * `recordReader` gives the other folders the same fixed rejection order: truncated → version → malformed.
 */
import { abytes, ed25519PublicKey, x25519PublicKey } from '../crypto/index.js'
import { RECORD_VERSION } from './constants.js'
import { RecordMalformedError, RecordTruncatedError, RecordVersionError } from './errors.js'
import { Reader, Writer } from './wire.js'
import type { IdentityKeyPair } from './index.js'

/** Opens a stored record: checks it is non-empty and of RECORD_VERSION, and returns a reader positioned after it. */
export function recordReader (bytes: Uint8Array, what: string): Reader {
  abytes(bytes, undefined, what)
  if (bytes.length < 1) throw new RecordTruncatedError(`${what}: empty`)
  const r = new Reader(bytes, {
    truncated: (w) => new RecordTruncatedError(`${what}: truncated at ${w}`),
    malformed: (w) => new RecordMalformedError(`${what}: ${w}`),
    limit: (w) => new RecordMalformedError(`${what}: over limit: ${w}`)
  })
  const v = r.u8('version')
  if (v !== RECORD_VERSION) throw new RecordVersionError(`${what}: unknown version ${v}`)
  return r
}

export function recordWriter (): Writer { return new Writer().u8(RECORD_VERSION) }

/** version || Ed25519 seed (32) || X25519 secret (32); public keys are re-derived on load. */
export function serializeIdentity (id: IdentityKeyPair): Uint8Array {
  return recordWriter().bytes(abytes(id.signing.secretKey, 32, 'signing secret')).bytes(abytes(id.agreement.secretKey, 32, 'agreement secret')).finish()
}

export function deserializeIdentity (bytes: Uint8Array): IdentityKeyPair {
  const r = recordReader(bytes, 'identity record')
  const edSeed = r.take(32, 'signing secret')
  const xSecret = r.take(32, 'agreement secret')
  r.end('identity record')
  return {
    signing: { secretKey: edSeed, publicKey: ed25519PublicKey(edSeed) },
    agreement: { secretKey: xSecret, publicKey: x25519PublicKey(xSecret) }
  }
}

/** Stored form of prekey pairs (PROTOCOL.md §2.5): separate from the bundle wire format. */
import { equal, x25519PublicKey, MLKEM768_PUBLIC_KEY_BYTES, MLKEM768_SECRET_KEY_BYTES } from '../crypto/index.js'
import { recordReader, recordWriter, RecordMalformedError } from '../identity/index.js'
import type { PqPreKeyPair, SignedPreKeyPair } from './index.js'

/** version || id u32 || X25519 secret (32) || signature (64). */
export function serializeSignedPreKey (p: SignedPreKeyPair): Uint8Array {
  return recordWriter().u32(p.id).bytes(p.keyPair.secretKey).bytes(p.signature).finish()
}

export function deserializeSignedPreKey (bytes: Uint8Array): SignedPreKeyPair {
  const r = recordReader(bytes, 'signed prekey record')
  const id = r.u32('id'); const secretKey = r.take(32, 'secret'); const signature = r.take(64, 'signature')
  r.end('signed prekey record')
  return { id, keyPair: { secretKey, publicKey: x25519PublicKey(secretKey) }, signature }
}

/** version || id u32 || ML-KEM-768 public key (1184) || secret key (2400) || signature (64). */
export function serializePqPreKey (p: PqPreKeyPair): Uint8Array {
  return recordWriter().u32(p.id).bytes(p.keyPair.publicKey).bytes(p.keyPair.secretKey).bytes(p.signature).finish()
}

export function deserializePqPreKey (bytes: Uint8Array): PqPreKeyPair {
  const r = recordReader(bytes, 'pq prekey record')
  const id = r.u32('id')
  const publicKey = r.take(MLKEM768_PUBLIC_KEY_BYTES, 'public key')
  const secretKey = r.take(MLKEM768_SECRET_KEY_BYTES, 'secret key')
  const signature = r.take(64, 'signature')
  r.end('pq prekey record')
  // FIPS 203: dk = dk_PKE (1152) || ek (1184) || H(ek) || z, so the stored public key must equal the embedded one.
  if (!equal(secretKey.subarray(1152, 1152 + MLKEM768_PUBLIC_KEY_BYTES), publicKey)) throw new RecordMalformedError('pq prekey record: public key does not match')
  return { id, keyPair: { publicKey, secretKey }, signature }
}

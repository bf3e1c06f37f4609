/** Stored form of the inviter's invite records (PROTOCOL.md §2.5, §4.4): separate from the invite wire format. */
import { x25519PublicKey } from '../crypto/index.js'
import { recordReader, recordWriter, RecordMalformedError } from '../identity/index.js'
import type { InviteRecord } from './index.js'

const OPEN = 1
const USED = 2

/** open: version || 1 || tag || secret || invite key secret || expiresAt u32; used: version || 2 || tag || requestHash. */
export function serializeInviteRecord (rec: InviteRecord): Uint8Array {
  const w = recordWriter()
  if (rec.state === 'open') return w.u8(OPEN).bytes(rec.tag).bytes(rec.secret).bytes(rec.inviteKeyPair.secretKey).u32(rec.expiresAt).finish()
  return w.u8(USED).bytes(rec.tag).bytes(rec.requestHash).finish()
}

export function deserializeInviteRecord (bytes: Uint8Array): InviteRecord {
  const r = recordReader(bytes, 'invite record')
  const state = r.u8('state')
  const tag = r.take(16, 'tag')
  let rec: InviteRecord
  if (state === OPEN) {
    const secret = r.take(32, 'secret'); const inviteSecret = r.take(32, 'invite key')
    rec = { state: 'open', tag, secret, inviteKeyPair: { secretKey: inviteSecret, publicKey: x25519PublicKey(inviteSecret) }, expiresAt: r.u32('expiresAt') }
  } else if (state === USED) {
    rec = { state: 'used', tag, requestHash: r.take(32, 'requestHash') }
  } else {
    throw new RecordMalformedError(`invite record: unknown state ${state}`)
  }
  r.end('invite record')
  return rec
}

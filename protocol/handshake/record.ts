/** Stored form of the invitee's request records (PROTOCOL.md §2.5, §5.4): separate from the wire formats. */
import { recordReader, recordWriter, RecordMalformedError } from '../identity/index.js'
import type { RequestRecord } from './request.js'

const PENDING = 1
const DONE = 2

/**
 * pending: version || 1 || tag || IK_A.ed || IK_A.x || requestHash || spkId u32 || pqId u32 || sentAt u64;
 * done: version || 2 || tag || acceptHash.
 */
export function serializeRequestRecord (rec: RequestRecord): Uint8Array {
  const w = recordWriter()
  if (rec.state === 'pending') {
    return w.u8(PENDING).bytes(rec.tag).bytes(rec.inviter.signingKey).bytes(rec.inviter.agreementKey).bytes(rec.requestHash)
      .u32(rec.signedPreKeyId).u32(rec.pqPreKeyId).u64(rec.sentAt).finish()
  }
  return w.u8(DONE).bytes(rec.tag).bytes(rec.acceptHash).finish()
}

export function deserializeRequestRecord (bytes: Uint8Array): RequestRecord {
  const r = recordReader(bytes, 'request record')
  const state = r.u8('state')
  const tag = r.take(16, 'tag')
  let rec: RequestRecord
  if (state === PENDING) {
    rec = {
      state: 'pending',
      tag,
      inviter: { signingKey: r.take(32, 'inviter.signingKey'), agreementKey: r.take(32, 'inviter.agreementKey') },
      requestHash: r.take(32, 'requestHash'),
      signedPreKeyId: r.u32('signedPreKeyId'),
      pqPreKeyId: r.u32('pqPreKeyId'),
      sentAt: r.u64('sentAt')
    }
  } else if (state === DONE) {
    rec = { state: 'done', tag, acceptHash: r.take(32, 'acceptHash') }
  } else {
    throw new RecordMalformedError(`request record: unknown state ${state}`)
  }
  r.end('request record')
  return rec
}

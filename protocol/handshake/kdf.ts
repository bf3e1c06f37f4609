/**
 * Key derivations of the handshake (PROTOCOL.md §5.2, §5.3). Pure functions of their inputs; exported so the vector
 * generator can record every intermediate value.
 */
import { concat, hkdf, utf8 } from '../crypto/index.js'
import type { IdentityPublic } from '../identity/index.js'
import {
  AD_LABEL, KEY_AND_NONCE_BYTES, PQXDH_INFO, REQUEST_KEY_INFO, REQUEST_STATIC_INFO, SESSION_KDF_BYTES
} from './constants.js'

export interface KeyAndNonce { key: Uint8Array, nonce: Uint8Array }

function split (okm: Uint8Array): KeyAndNonce {
  return { key: okm.slice(0, 32), nonce: okm.slice(32, KEY_AND_NONCE_BYTES) }
}

/** staticKey = HKDF(DH(EK_B, IK_A.x) || DH(EK_B, InviteKey_A), salt = invite secret, "Tern/v1/ContactRequest/Static", 44). */
export function deriveStaticKey (dhEkIk: Uint8Array, dhEkInvite: Uint8Array, secret: Uint8Array): KeyAndNonce {
  return split(hkdf(concat(dhEkIk, dhEkInvite), secret, utf8(REQUEST_STATIC_INFO), KEY_AND_NONCE_BYTES))
}

/** reqKey = HKDF(DH(EK_B, IK_A.x) || DH(EK_B, InviteKey_A) || DH(IK_B.x, InviteKey_A), salt = secret, "Tern/v1/ContactRequest", 44). */
export function deriveRequestKey (dhEkIk: Uint8Array, dhEkInvite: Uint8Array, dhIkInvite: Uint8Array, secret: Uint8Array): KeyAndNonce {
  return split(hkdf(concat(dhEkIk, dhEkInvite, dhIkInvite), secret, utf8(REQUEST_KEY_INFO), KEY_AND_NONCE_BYTES))
}

export interface SessionKeys { rootKey: Uint8Array, sendHeaderKey: Uint8Array, nextRecvHeaderKey: Uint8Array }

/** SK = HKDF(0xFF×32 || DH1 || DH2 || DH3 || SS, salt = SHA-256(request), PQXDH_INFO, 96) = rootKey | HKa | NHKb. */
export function deriveSessionKeys (dh1: Uint8Array, dh2: Uint8Array, dh3: Uint8Array, ss: Uint8Array, requestHash: Uint8Array): SessionKeys {
  const ikm = concat(new Uint8Array(32).fill(0xff), dh1, dh2, dh3, ss)
  const okm = hkdf(ikm, requestHash, utf8(PQXDH_INFO), SESSION_KDF_BYTES)
  ikm.fill(0)
  const keys = { rootKey: okm.slice(0, 32), sendHeaderKey: okm.slice(32, 64), nextRecvHeaderKey: okm.slice(64, 96) }
  okm.fill(0)
  return keys
}

/** AD = "Tern/v1/AD" || IK_A.ed || IK_A.x || IK_B.ed || IK_B.x, inviter (ratchet sender) first. */
export function associatedData (inviter: IdentityPublic, invitee: IdentityPublic): Uint8Array {
  return concat(utf8(AD_LABEL), inviter.signingKey, inviter.agreementKey, invitee.signingKey, invitee.agreementKey)
}

/** Handshake constants (PROTOCOL.md §5). */

/** Wire version of ContactRequest, its first byte. §5.2 */
export const CONTACT_REQUEST_VERSION = 1
/** Wire version of ContactAccept, its first byte. §5.4 */
export const CONTACT_ACCEPT_VERSION = 1
/** Wire version of ContactReject, its first byte. §5.5 */
export const CONTACT_REJECT_VERSION = 1

/** HKDF info of the key that seals the invitee's static X25519 key in a ContactRequest. §5.2 */
export const REQUEST_STATIC_INFO = 'Tern/v1/ContactRequest/Static'
/** HKDF info of the key that seals the ContactRequest payload (reqKey). §5.2 */
export const REQUEST_KEY_INFO = 'Tern/v1/ContactRequest'
/** Domain label of the invitee's signature over the ContactRequest transcript. §5.2 */
export const REQUEST_SIGNATURE_LABEL = 'Tern/v1/ContactRequestSig'
/** HKDF info of the PQXDH session key. §5.3 */
export const PQXDH_INFO = 'Tern/v1/PQXDH/X25519/ML-KEM-768/SHA-256'
/** Domain label prefixed to the session's associated data. §5.3 */
export const AD_LABEL = 'Tern/v1/AD'
/** Domain label of the inviter's signature over a ContactReject. §5.5 */
export const REJECT_SIGNATURE_LABEL = 'Tern/v1/ContactReject'

/** HKDF output for an AEAD key (32) and nonce (12), bytes. §5.2 */
export const KEY_AND_NONCE_BYTES = 44
/** HKDF output of PQXDH: root key, HKa, NHKb (3 × 32), bytes. §5.3 */
export const SESSION_KDF_BYTES = 96
/** ContactRequest cleartext header: version (1) + invite tag (16) + EK_B (32), bytes. §5.2 */
export const REQUEST_HEADER_BYTES = 49
/** Sealed static key: X25519 public key (32) + GCM tag (16), bytes. §5.2 */
export const SEALED_STATIC_BYTES = 48
/** Smallest ContactRequest (empty name and contact info), bytes. §5.2 */
export const MIN_REQUEST_BYTES = 1677
/** Largest display name in a ContactRequest, UTF-8 bytes. §5.2 */
export const MAX_NAME_BYTES = 64
/** Largest opaque contact-info field in a ContactRequest, bytes. §5.2 */
export const MAX_CONTACT_INFO_BYTES = 1024
/** Largest ContactRequest, bytes (MIN_REQUEST_BYTES + MAX_NAME_BYTES + MAX_CONTACT_INFO_BYTES). §5.2 */
export const MAX_REQUEST_BYTES = 2765
/** Fixed part of a ContactAccept before the ratchet message: 1+16+32+4+4+1088, bytes. §5.4 */
export const ACCEPT_FIXED_BYTES = 1145
/** Largest ratchet header in a ContactAccept, bytes (Tern's encrypted header is 68). §5.4 */
export const MAX_ACCEPT_HEADER_BYTES = 256
/** Largest first ratchet message body in a ContactAccept: the 16 KiB padding bucket (§7.3) + the AEAD tag, bytes. §5.4 */
export const MAX_ACCEPT_BODY_BYTES = 16384 + 16
/** Exact size of a ContactReject: 1+16+1+64, bytes. §5.5 */
export const REJECT_BYTES = 82
/** How far a ContactRequest's timestamp may lie in the inviter's future, ms (10 minutes). §5.2 */
export const MAX_CLOCK_SKEW_MS = 10 * 60 * 1000
/** How long after the invite's expiry a request sent before it may still arrive (mailbox delay), ms (72 h). §5.2 */
export const REQUEST_DELIVERY_GRACE_MS = 72 * 3600 * 1000

/** ContactReject reason codes. §5.5 */
export const RejectReason = { USED: 1, EXPIRED: 2, UNKNOWN: 3 } as const
export type RejectReason = typeof RejectReason[keyof typeof RejectReason]

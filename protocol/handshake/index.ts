/**
 * The contact handshake (PROTOCOL.md §5): ContactRequest (invitee → inviter, sealed to the invite), PQXDH with
 * X25519 + ML-KEM-768 toward the invitee, ContactAccept carrying the first Double Ratchet message, ContactReject, and
 * the simultaneous-add rule. Pure: randomness and the clock are parameters; the node stores the records it returns.
 * Does not know the envelope framing (§7), transports or storage.
 */
export * from './constants.js'
export * from './errors.js'
export { associatedData, deriveRequestKey, deriveSessionKeys, deriveStaticKey, type KeyAndNonce, type SessionKeys } from './kdf.js'
export {
  createContactRequest, openContactRequest, requestInviteTag,
  type CompletedRequest, type CreateContactRequestInit, type OpenContactRequestInit, type OpenedRequest,
  type PendingRequest, type RequestRecord
} from './request.js'
export {
  acceptContactRequest, completeContactAccept, decodeContactAccept, encodeContactAccept,
  type AcceptContactRequestInit, type AcceptResult, type CompleteContactAcceptInit, type CompleteResult, type ContactAccept
} from './accept.js'
export { createContactReject, verifyContactReject } from './reject.js'
export { compareBytes, resolveSimultaneous } from './simultaneous.js'
export { deserializeRequestRecord, serializeRequestRecord } from './record.js'

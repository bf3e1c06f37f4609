/**
 * Owner-key proof over a relay challenge (PROTOCOL.md §8.3). Pure: no libp2p, no clock.
 * signature = Ed25519(owner secret key, "Tern/v1/MailboxAuth" || relay PeerId bytes || client PeerId bytes || challenge),
 * where "PeerId bytes" is the PeerId's binary multihash (`peerId.toMultihash().bytes`).
 */
import { concat, ed25519Sign, ed25519Verify } from '../../protocol/crypto/index.js'
import { CHALLENGE_BYTES, MAILBOX_AUTH_CONTEXT, OWNER_KEY_BYTES, SIGNATURE_BYTES } from './constants.js'

const CONTEXT = new TextEncoder().encode(MAILBOX_AUTH_CONTEXT)

/** The exact bytes an owner signs. */
export function authMessage (relayPeer: Uint8Array, clientPeer: Uint8Array, challenge: Uint8Array): Uint8Array {
  return concat(CONTEXT, relayPeer, clientPeer, challenge)
}

export function signAuth (secretKey: Uint8Array, relayPeer: Uint8Array, clientPeer: Uint8Array, challenge: Uint8Array): Uint8Array {
  return ed25519Sign(secretKey, authMessage(relayPeer, clientPeer, challenge))
}

/** True when `signature` proves `ownerPublicKey` over this stream's challenge; never throws on bad bytes. */
export function verifyAuth (ownerPublicKey: Uint8Array, signature: Uint8Array, relayPeer: Uint8Array,
  clientPeer: Uint8Array, challenge: Uint8Array): boolean {
  if (ownerPublicKey.length !== OWNER_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false
  if (challenge.length !== CHALLENGE_BYTES) return false
  return ed25519Verify(ownerPublicKey, authMessage(relayPeer, clientPeer, challenge), signature)
}

/** Identity constants (PROTOCOL.md §2). */

/**
 * Prefix of a libp2p PeerId for an Ed25519 key: identity multihash (0x00, length 0x24 = 36) of the libp2p
 * PublicKey protobuf {Type = Ed25519 (field 1 = 0x08, value 0x01), Data (field 2 = 0x12, length 0x20)}. §2.2
 */
export const PEER_ID_ED25519_PREFIX = Uint8Array.of(0x00, 0x24, 0x08, 0x01, 0x12, 0x20)
/** Length of a PeerId for an Ed25519 key in bytes (6-byte prefix + 32-byte key). §2.2 */
export const PEER_ID_BYTES = 38
/** Domain label of the identity-binding signature over the X25519 agreement key. §2.1 */
export const IDENTITY_BINDING_LABEL = 'Tern/v1/IdentityKey'
/** Domain label of the fingerprint hash. §2.3 */
export const FINGERPRINT_LABEL = 'Tern/v1/Fingerprint'
/** Hex characters per displayed fingerprint group. §2.3 */
export const FINGERPRINT_GROUP_CHARS = 4
/** Safety-number format version, the first 2 bytes (u16be) hashed for each identity. §2.4 */
export const SAFETY_NUMBER_VERSION = 0
/** SHA-512 iterations per identity for the safety number (Signal's numeric fingerprint uses 5200). §2.4 */
export const SAFETY_NUMBER_ITERATIONS = 5200
/** Decimal digits per identity in a safety number (six 5-digit chunks). §2.4 */
export const SAFETY_NUMBER_DIGITS_PER_IDENTITY = 30
/** Storage format version of every stored record of identity/, prekeys/, invite/ and handshake/, its first byte. §2.5 */
export const RECORD_VERSION = 1

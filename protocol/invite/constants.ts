/** Invite constants (PROTOCOL.md §4). */

/** Wire version of the invite codec, its first byte. §4.1 */
export const INVITE_VERSION = 1
/** URI scheme prefix of an invite's text form (matched case-insensitively). §4.2 */
export const INVITE_URI_PREFIX = 'tern:'
/** Upper bound of an encoded invite in bytes, before text encoding (fits a QR code comfortably). §4.1 */
export const MAX_INVITE_BYTES = 512
/** Upper bound of the invite text after the prefix: base64url of MAX_INVITE_BYTES, unpadded (683 chars). §4.2 */
export const MAX_INVITE_TEXT_CHARS = Math.ceil(MAX_INVITE_BYTES * 4 / 3)
/** Upper bound of the relay multiaddr (binary multiaddr incl. its /p2p/ PeerId), bytes. §4.1 */
export const MAX_RELAY_ADDR_BYTES = 200
/** Mailbox queue id length in bytes. §4.1 */
export const QUEUE_ID_BYTES = 16
/** Mailbox deposit token length in bytes. §4.1 */
export const DEPOSIT_TOKEN_BYTES = 32
/** Invite secret length in bytes (the PSK of §5.2). §4.1 */
export const INVITE_SECRET_BYTES = 32
/** Invite tag length in bytes. §4.3 */
export const INVITE_TAG_BYTES = 16
/** Bytes of a version-1 invite without the relay address (1+32+32+32+32+4+1+16+32+64). §4.1 */
export const INVITE_FIXED_BYTES = 246
/** Domain label of the invite signature. §4.1 */
export const INVITE_SIGNATURE_LABEL = 'Tern/v1/Invite'
/** HMAC message of the invite tag. §4.3 */
export const INVITE_TAG_LABEL = 'Tern/v1/InviteTag'
/** Default lifetime the node gives an invite, seconds (7 days). §4.1 */
export const DEFAULT_INVITE_TTL_SECONDS = 7 * 24 * 3600

/**
 * Limits and identifiers of the envelope and content codecs (PROTOCOL.md §7). Every limit binds while decoding.
 */

/** Version byte that opens every v1 envelope (byte). §7.1 */
export const ENVELOPE_VERSION = 0x01

/** Smallest envelope a decoder looks at: the version byte and one byte of protobuf (bytes). §7.1 */
export const MIN_ENVELOPE_BYTES = 2

/** Largest envelope, version byte included; checked before parsing (bytes, 96 KiB). §7.1 */
export const MAX_ENVELOPE_BYTES = 96 * 1024

/** Encrypted ratchet header: nonce 12 || AES-GCM(40-byte header) incl. 16-byte tag (bytes). §6, §7.1 */
export const RATCHET_HEADER_BYTES = 68

/** AES-GCM tag appended to every ratchet body (bytes). §1, §7.1 */
export const AEAD_TAG_BYTES = 16

/** Padded plaintext sizes, ascending; a padded content is exactly one of these (bytes). §7.3 */
export const PADDING_BUCKETS: readonly number[] = Object.freeze([256, 1024, 4096, 16384, 65536])

/** Largest padding bucket (bytes). §7.3 */
export const MAX_PADDED_BYTES = 65536

/** Largest encoded Content that fits a bucket with its 0x80 marker: largest bucket − 1 (bytes). §7.2, §7.3 */
export const MAX_CONTENT_BYTES = MAX_PADDED_BYTES - 1

/** Allowed ratchet body lengths: each padding bucket + the AEAD tag (bytes). §7.1 */
export const RATCHET_BODY_LENGTHS: readonly number[] = Object.freeze(PADDING_BUCKETS.map(b => b + AEAD_TAG_BYTES))

/** Largest ratchet body: largest bucket + AEAD tag (bytes). §7.1 */
export const MAX_RATCHET_BODY_BYTES = MAX_PADDED_BYTES + AEAD_TAG_BYTES

/** Largest contact request carried by an envelope; §5.2's largest is 2,765 (bytes, 8 KiB). §5, §7.1 */
export const MAX_CONTACT_REQUEST_BYTES = 8 * 1024

/** Largest contact accept carried by an envelope; §5.4's largest (with a first ratchet message) is 17,805 (bytes, 20 KiB). §5, §7.1 */
export const MAX_CONTACT_ACCEPT_BYTES = 20 * 1024

/** Largest contact reject carried by an envelope; §5.5's is 82 (bytes, 1 KiB). §5, §7.1 */
export const MAX_CONTACT_REJECT_BYTES = 1024

/** Message id length in Text and Receipt (bytes). §7.2 */
export const MESSAGE_ID_BYTES = 16

/** Largest text body, UTF-8 encoded (bytes, 32 KiB). §7.2 */
export const MAX_TEXT_BYTES = 32 * 1024

/** Most message ids in one receipt (count). §7.2 */
export const MAX_RECEIPT_IDS = 256

/** Most sequence numbers in one receipt (count). §7.2 */
export const MAX_RECEIPT_SEQS = 256

/** Largest display name in ContactInfo, UTF-8 encoded (bytes). §7.2 */
export const MAX_NAME_BYTES = 64

/** Most relay addresses in a mailbox capability (count). §7.2 */
export const MAX_RELAY_ADDRS = 8

/** Most direct addresses in ContactInfo (count). §7.2 */
export const MAX_ADDRESSES = 16

/** Largest binary multiaddr in ContactInfo (bytes). §7.2 */
export const MAX_MULTIADDR_BYTES = 512

/** Mailbox queue id length (bytes). §7.2, §8 */
export const QUEUE_ID_BYTES = 16

/** Mailbox deposit token length (bytes). §7.2, §8 */
export const MAILBOX_TOKEN_BYTES = 32

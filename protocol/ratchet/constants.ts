/** Double Ratchet constants (PROTOCOL.md §6). */

/** HKDF info of KDF_RK: root key || chain key || next header key (3 × 32 bytes). §6.2 */
export const ROOT_INFO = 'Tern/v1/Ratchet/Root'
/** HKDF info of the message-key expansion: AES-256-GCM key (32) || nonce (12). §6.3 */
export const MESSAGE_KEYS_INFO = 'Tern/v1/Ratchet/MessageKeys'
/** Output length of KDF_RK in bytes (root key, chain key, next header key). §6.2 */
export const ROOT_KDF_BYTES = 96
/** Output length of the message-key expansion in bytes (key 32 + nonce 12). §6.3 */
export const MESSAGE_KEYS_BYTES = 44
/** Length of every ratchet secret (root, chain, header and message-key seed) in bytes. §6.1 */
export const RATCHET_KEY_BYTES = 32
/** Plaintext header length in bytes: ratchet public key (32) || PN u32be || N u32be. §6.4 */
export const HEADER_PLAINTEXT_BYTES = 40
/** Header AEAD nonce length in bytes (random, from the caller's rng). §6.4 */
export const HEADER_NONCE_BYTES = 12
/** Encrypted header length in bytes: nonce (12) || ciphertext (40) || tag (16). §6.4 */
export const ENCRYPTED_HEADER_BYTES = 68
/** Most message keys skipped in one receiving chain by one message (libsignal uses 25,000 forward jumps). §6.6 */
export const MAX_SKIP = 1000
/** Most skipped message keys kept in total across receiving chains; the oldest is evicted first. §6.6 */
export const MAX_SKIPPED_KEYS = 2000
/** Most receiving chains (header keys) remembered, current one included; older chains are forgotten. §6.6 */
export const MAX_RECEIVING_CHAINS = 16
/** Largest message counter (N, PN) a chain may reach: the u32 range. §6.4 */
export const MAX_COUNTER = 0xffff_ffff
/** Largest associated data stored with a session, in bytes (u16be length in the stored state). §6.8 */
export const MAX_ASSOCIATED_DATA_BYTES = 0xffff
/** Storage format version of a serialised RatchetState, its first byte. §6.8 */
export const STATE_VERSION = 1

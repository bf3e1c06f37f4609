/** Prekey and bundle constants (PROTOCOL.md §3). */

/** Wire version of the prekey bundle codec, its first byte. §3.3 */
export const BUNDLE_VERSION = 1
/** Encoded size of a version-1 bundle in bytes (fixed layout). §3.3 */
export const BUNDLE_BYTES = 1489
/** Domain label of the signed X25519 prekey signature. §3.1 */
export const SIGNED_PREKEY_LABEL = 'Tern/v1/SignedPreKey'
/** Domain label of the signed ML-KEM-768 prekey signature. §3.2 */
export const SIGNED_PQ_PREKEY_LABEL = 'Tern/v1/SignedPqPreKey'
/** Largest prekey id (ids are u32). §3.1 */
export const MAX_PREKEY_ID = 0xffffffff

/**
 * Names and limits of the relay mailbox protocol (PROTOCOL.md §8). Operator-tunable quotas live in
 * `MailboxLimits` (index.ts, defaults in `defaultMailboxLimits`); the values here are fixed by the protocol.
 */

/** Protocol id negotiated by multistream-select (§8). */
export const MAILBOX_PROTOCOL = '/tern/mailbox/1.0.0'

/** Domain separation prefix of the owner-key signature, UTF-8 (§8.3). */
export const MAILBOX_AUTH_CONTEXT = 'Tern/v1/MailboxAuth'

/** Length of the server challenge, bytes (§8.3). */
export const CHALLENGE_BYTES = 32
/** Length of a queue id, bytes (§8.4). */
export const QUEUE_ID_BYTES = 16
/** Length of a deposit token, bytes (§8.4). */
export const TOKEN_BYTES = 32
/** Length of an Ed25519 owner public key, bytes (§8.3). */
export const OWNER_KEY_BYTES = 32
/** Length of an Ed25519 signature, bytes (§8.3). */
export const SIGNATURE_BYTES = 64

/** Largest frame (the protobuf message after the varint length prefix) either side accepts, bytes (§8.1). */
export const MAX_FRAME_BYTES = 2 * 1024 * 1024
/** Most items in one DEPOSIT_BATCH request (§8.5). */
export const MAX_DEPOSIT_BATCH = 256
/** Most ids in one ACK request (§8.5). */
export const MAX_ACK_IDS = 1024
/** Most queue ids in one SUBSCRIBE request (§8.5). */
export const MAX_SUBSCRIBE_QUEUES = 256
/** Most envelopes one FETCH reply carries, whatever max_count asks (§8.5). */
export const MAX_FETCH_COUNT = 1000
/** Most envelope bytes one FETCH reply carries (the first envelope is always returned), bytes (§8.5). */
export const MAX_FETCH_BYTES = 1024 * 1024
/** Most entries one LIST reply carries (§8.5). */
export const MAX_LIST_COUNT = 10_000
/** Most mailbox streams a peer may have open on one connection (§8.1). */
export const MAX_INBOUND_STREAMS = 32
/** Most requests a server processes concurrently per stream before it stops reading more (§8.1). */
export const MAX_CONCURRENT_REQUESTS = 16

/** A queue with no owner operation for retentionMs * QUEUE_GC_FACTOR is deleted by the sweep (§8.6). */
export const QUEUE_GC_FACTOR = 2

/** Default client request timeout, ms. */
export const DEFAULT_CLIENT_TIMEOUT_MS = 10_000
/**
 * A frame begun (its first byte received) must be complete within FRAME_TIMEOUT_MS plus its declared length at
 * FRAME_MIN_BYTES_PER_SECOND (a 2 MiB frame: 20 s + 128 s), ms, or the stream is aborted (§8.1). Between frames a
 * stream may stay open indefinitely: a subscription stream is idle by design.
 */
export const FRAME_TIMEOUT_MS = 20_000
/** The slowest transfer rate a frame's deadline allows for its body, bytes per second (§8.1). */
export const FRAME_MIN_BYTES_PER_SECOND = 16 * 1024

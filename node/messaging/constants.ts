/**
 * Constants of the direct messaging protocol /tern/msg/1.0.0 (PROTOCOL.md §12).
 */
import { MAX_ENVELOPE_BYTES } from '../../protocol/envelope/constants.js'

/** Protocol id negotiated by multistream-select. §12.1 */
export const MSG_PROTOCOL = '/tern/msg/1.0.0'
/** Largest frame body (bytes): one envelope, version byte included (= MAX_ENVELOPE_BYTES, §7.1). §12.2 */
export const MAX_FRAME_BYTES = MAX_ENVELOPE_BYTES
/** Version byte of an ack frame. §12.2 */
export const ACK_VERSION = 1
/** Ack frame length (bytes): version, status. §12.2 */
export const ACK_BYTES = 2
/** Inbound streams of /tern/msg/1.0.0 open at once, per node (streams). §12.4 */
export const MAX_INBOUND_STREAMS = 256
/** Outbound streams of /tern/msg/1.0.0 open at once, per node (streams). §12.4 */
export const MAX_OUTBOUND_STREAMS = 256
/** How long a sender waits for an ack after writing a frame, unless its signal says otherwise (ms). §12.3 */
export const ACK_TIMEOUT_MS = 10_000
/**
 * How long a receiver may hold an ack to write it together with the acks of the frames after it (ms;
 * node/messaging/held-acks.ts). Small against every sender deadline (ACK_TIMEOUT_MS; the core's 3 s). §12.3
 */
export const ACK_HOLD_MS = 10
/** Acks held at most: with this many, they are written at once (acks). §12.3 */
export const MAX_HELD_ACKS = 64
/** How long an inbound stream may stay idle between frames before the receiver closes it (ms). §12.4 */
export const INBOUND_IDLE_TIMEOUT_MS = 60_000
/**
 * How long a frame may take from its first byte to its last, on either side, before the reader aborts the stream
 * (ms). Bounds a peer that sends part of a frame (or part of its length prefix) and stalls or trickles. §12.4
 */
export const FRAME_TIMEOUT_MS = 20_000
/** Undelivered whole frames a reader holds before it pauses the stream (bytes; frames: FRAME_QUEUE_MAX). §12.4 */
export const FRAME_QUEUE_HIGH_WATER_BYTES = 2 * MAX_FRAME_BYTES
/** Undelivered whole frames a reader holds before it pauses the stream (frames). §12.4 */
export const FRAME_QUEUE_MAX = 16

/** Ack status codes (second byte of an ack frame). §12.2 */
export const AckStatus = Object.freeze({
  /** the receiver processed the envelope durably (or had already) */
  OK: 0,
  /** the receiver could not process it now; the sender keeps it and retries later (or uses the mailbox) */
  RETRY: 1,
  /** the receiver will never accept this envelope (malformed); do not retry */
  REJECTED: 2
})
export type AckStatusCode = typeof AckStatus[keyof typeof AckStatus]

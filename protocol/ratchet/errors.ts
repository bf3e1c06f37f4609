/**
 * Typed errors of the Double Ratchet (PROTOCOL.md §6.7). Every failure leaves the caller's state untouched:
 * operations return a new state and only on success.
 */
import { TernError } from '../errors.js'

/** No known header key (current, next or a remembered older one) authenticates the encrypted header. */
export class HeaderDecryptError extends TernError {
  constructor (message = 'no header key opens this message') { super('ERR_UNKNOWN_HEADER_KEY', message) }
}

/** The message was already decrypted (or its key was discarded): a duplicate or a replay. */
export class DuplicateMessageError extends TernError {
  constructor (message = 'message already received') { super('ERR_DUPLICATE_MESSAGE', message) }
}

/** Reaching this message would skip more than MAX_SKIP message keys in one chain. */
export class TooManySkippedError extends TernError {
  constructor (message = 'too many skipped messages') { super('ERR_TOO_MANY_SKIPPED', message) }
}

/** The message does not have the ratchet message shape (header length, counters, ratchet key). */
export class MalformedMessageError extends TernError {
  constructor (message = 'malformed ratchet message') { super('ERR_MALFORMED_MESSAGE', message) }
}

/** This side cannot send yet: the receiver ("Bob") must first receive a message. */
export class NotReadyToSendError extends TernError {
  constructor (message = 'cannot send before the first message is received') { super('ERR_RATCHET_NOT_READY', message) }
}

/** A chain counter would exceed the u32 range. */
export class CounterExhaustedError extends TernError {
  constructor (message = 'message counter exhausted') { super('ERR_COUNTER_EXHAUSTED', message) }
}

/** A serialised state ends before its declared content. */
export class StateTruncatedError extends TernError {
  constructor (message = 'ratchet state truncated') { super('ERR_STATE_TRUNCATED', message) }
}

/** A serialised state has an unknown storage format version. */
export class StateVersionError extends TernError {
  constructor (message = 'unknown ratchet state version') { super('ERR_STATE_VERSION', message) }
}

/** A serialised state is well-sized but violates its schema or a limit. */
export class StateMalformedError extends TernError {
  constructor (message = 'malformed ratchet state') { super('ERR_STATE_MALFORMED', message) }
}

/**
 * Typed errors of the mailbox (PROTOCOL.md §8.7). A refusal travels as a `Status` in the reply; the client turns
 * it into a `MailboxError` whose `status` is the status name (the wire carries its number) and whose `code` is `ERR_MAILBOX_<STATUS>`.
 * Protocol violations (a frame that does not decode) are `MailboxProtocolError`.
 */
import { TernError } from '../../protocol/errors.js'
import { Status } from './pb/mailbox.js'

export { Status }

/** Stable name of a status, e.g. `QUEUE_FULL` (protons enums are their names). */
export function statusName (status: Status): string {
  return typeof status === 'string' && status in Status ? status : `UNKNOWN_${String(status)}`
}

/** A relay refused an operation with a status code. */
export class MailboxError extends TernError {
  readonly status: Status
  constructor (status: Status, message?: string) {
    super(`ERR_MAILBOX_${statusName(status)}`, message ?? `mailbox refused: ${statusName(status)}`)
    this.status = status
  }
}

/** A frame did not decode or broke the protocol (the stream is closed). */
export class MailboxProtocolError extends TernError {
  constructor (message: string) { super('ERR_MAILBOX_PROTOCOL', message) }
}

/** The stream to the relay closed or could not be opened. */
export class MailboxConnectionError extends TernError {
  constructor (message: string) { super('ERR_MAILBOX_CONNECTION', message) }
}

/** A request did not complete before its timeout or its AbortSignal fired. */
export class MailboxTimeoutError extends TernError {
  constructor (message = 'mailbox request timed out or was aborted') { super('ERR_MAILBOX_TIMEOUT', message) }
}

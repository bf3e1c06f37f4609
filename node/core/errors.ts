/**
 * Typed errors of the delivery core. Codes are the ones node/rpc/errors.ts maps (TYPED_ERROR_CODES, or any
 * ERR_INVITE_* → BAD_INVITE); tests branch on `code`. Messages carry ids, never names or text.
 */
import { TernError } from '../../protocol/errors.js'

export { TernError }

export class UnknownContactError extends TernError {
  readonly contactId: string
  constructor (contactId: string) {
    super('ERR_UNKNOWN_CONTACT', `no contact ${contactId}`)
    this.contactId = contactId
  }
}

export class BlockedError extends TernError {
  constructor (contactId: string) { super('ERR_BLOCKED', `contact ${contactId} is blocked`) }
}

export class MessageTooLargeError extends TernError {
  constructor (bytes: number, max: number) { super('ERR_MESSAGE_TOO_LARGE', `message text is ${bytes} bytes, at most ${max}`) }
}

/** addContact with an invite this node created. Maps to BAD_INVITE (ERR_INVITE_* prefix). */
export class OwnInviteError extends TernError {
  constructor () { super('ERR_INVITE_OWN', 'this invite was created by this node') }
}

/** addContact with an invite whose inviter is already a contact; `contactId` names it. */
export class ContactExistsError extends TernError {
  readonly contactId: string
  constructor (contactId: string) {
    super('ERR_CONTACT_EXISTS', `the inviter is already contact ${contactId}`)
    this.contactId = contactId
  }
}

/** An operation after stop() (or before start() where it matters). */
export class MessengerStoppedError extends TernError {
  constructor () { super('ERR_MESSENGER_STOPPED', 'messenger is stopped') }
}

/** Invalid parameters that the RPC schema would normally have caught (empty text, bad name). */
export class InvalidParamsError extends TernError {
  constructor (message: string) { super('ERR_INVALID_ARGUMENT', message) }
}

/**
 * The outer envelope (PROTOCOL.md §7.1): what goes on /tern/msg/1.0.0 streams and into relay mailboxes.
 * bytes = ENVELOPE_VERSION || protobuf Envelope with exactly one body. Handshake bodies are opaque here (protocol/handshake
 * decodes them); ratchet messages are checked for shape only (protocol/ratchet decrypts them).
 */
import { copy } from '../crypto/bytes.js'
import { InvalidArgumentError } from '../errors.js'
import {
  ENVELOPE_VERSION, MAX_CONTACT_ACCEPT_BYTES, MAX_CONTACT_REJECT_BYTES, MAX_CONTACT_REQUEST_BYTES, MAX_ENVELOPE_BYTES,
  MAX_RATCHET_BODY_BYTES, MIN_ENVELOPE_BYTES, RATCHET_BODY_LENGTHS, RATCHET_HEADER_BYTES
} from './constants.js'
import {
  EnvelopeTooLargeError, EnvelopeTooShortError, FieldLengthError, MissingFieldError, MultipleBodiesError, NoBodyError,
  UnsupportedVersionError
} from './errors.js'
import { Envelope as PbEnvelope } from './pb/envelope.js'
import { strictDecode, type WireSchema } from './wire.js'

/** A Double Ratchet message as the envelope carries it (§6): encrypted header and padded, encrypted body. */
export interface RatchetMessage {
  header: Uint8Array
  body: Uint8Array
}

export type HandshakeType = 'contact_request' | 'contact_accept' | 'contact_reject'

export type Envelope =
  | { type: 'message', message: RatchetMessage }
  | { type: HandshakeType, bytes: Uint8Array }

const RATCHET_MESSAGE_WIRE: WireSchema = {
  name: 'RatchetMessage',
  fields: { 1: { name: 'header', kind: 'bytes' }, 2: { name: 'body', kind: 'bytes' } }
}

const ENVELOPE_WIRE: WireSchema = {
  name: 'Envelope',
  fields: {
    1: { name: 'message', kind: 'message', message: RATCHET_MESSAGE_WIRE },
    2: { name: 'contact_request', kind: 'bytes' },
    3: { name: 'contact_accept', kind: 'bytes' },
    4: { name: 'contact_reject', kind: 'bytes' }
  }
}

const HANDSHAKE_LIMITS: Readonly<Record<HandshakeType, number>> = {
  contact_request: MAX_CONTACT_REQUEST_BYTES,
  contact_accept: MAX_CONTACT_ACCEPT_BYTES,
  contact_reject: MAX_CONTACT_REJECT_BYTES
}

function checkLength (field: string, value: Uint8Array | undefined, min: number, max: number): Uint8Array {
  if (value === undefined) throw new MissingFieldError(field)
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(`${field}: expected Uint8Array`)
  if (value.length < min || value.length > max) throw new FieldLengthError(field, value.length, min, max)
  return value
}

/** protons types its byte fields as Uint8Array<ArrayBuffer>; it only reads them, so any Uint8Array will do. */
const wireBytes = (b: Uint8Array): Uint8Array<ArrayBuffer> => b as Uint8Array<ArrayBuffer>

function checkRatchetMessage (m: { header?: Uint8Array, body?: Uint8Array }): void {
  checkLength('RatchetMessage.header', m.header, RATCHET_HEADER_BYTES, RATCHET_HEADER_BYTES)
  const body = checkLength('RatchetMessage.body', m.body, RATCHET_BODY_LENGTHS[0], MAX_RATCHET_BODY_BYTES)
  if (!RATCHET_BODY_LENGTHS.includes(body.length)) {
    throw new FieldLengthError('RatchetMessage.body', body.length, RATCHET_BODY_LENGTHS[0], MAX_RATCHET_BODY_BYTES)
  }
}

/** Encodes an envelope; throws the decoder's typed errors for any value the decoder would reject. */
export function encodeEnvelope (env: Envelope): Uint8Array {
  let pb: PbEnvelope
  switch (env?.type) {
    case 'message':
      if (env.message == null) throw new MissingFieldError('Envelope.message')
      checkRatchetMessage(env.message)
      pb = { message: { header: wireBytes(env.message.header), body: wireBytes(env.message.body) } }
      break
    case 'contact_request':
      pb = { contactRequest: wireBytes(checkLength('Envelope.contact_request', env.bytes, 1, MAX_CONTACT_REQUEST_BYTES)) }
      break
    case 'contact_accept':
      pb = { contactAccept: wireBytes(checkLength('Envelope.contact_accept', env.bytes, 1, MAX_CONTACT_ACCEPT_BYTES)) }
      break
    case 'contact_reject':
      pb = { contactReject: wireBytes(checkLength('Envelope.contact_reject', env.bytes, 1, MAX_CONTACT_REJECT_BYTES)) }
      break
    default:
      throw new InvalidArgumentError('envelope: unknown type')
  }
  const proto = PbEnvelope.encode(pb)
  const out = new Uint8Array(1 + proto.length)
  out[0] = ENVELOPE_VERSION
  out.set(proto, 1)
  return out
}

/**
 * Decodes an envelope. Rejects, in this order (§7.4): too short → unknown version → over MAX_ENVELOPE_BYTES →
 * malformed protobuf → no body / several bodies → missing field → field length out of bounds. Throws nothing but those
 * typed errors (all TernError). Returned byte fields are copies, not views of `bytes`.
 */
export function decodeEnvelope (bytes: Uint8Array): Envelope {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('envelope: expected Uint8Array')
  if (bytes.length < MIN_ENVELOPE_BYTES) throw new EnvelopeTooShortError(bytes.length)
  if (bytes[0] !== ENVELOPE_VERSION) throw new UnsupportedVersionError(bytes[0])
  if (bytes.length > MAX_ENVELOPE_BYTES) throw new EnvelopeTooLargeError(bytes.length)
  const pb = strictDecode(bytes.subarray(1), ENVELOPE_WIRE, (b) => PbEnvelope.decode(b))

  const present: string[] = []
  if (pb.message !== undefined) present.push('message')
  if (pb.contactRequest !== undefined) present.push('contact_request')
  if (pb.contactAccept !== undefined) present.push('contact_accept')
  if (pb.contactReject !== undefined) present.push('contact_reject')
  if (present.length === 0) throw new NoBodyError('Envelope')
  if (present.length > 1) throw new MultipleBodiesError('Envelope', present)

  if (pb.message !== undefined) {
    checkRatchetMessage(pb.message)
    return { type: 'message', message: { header: copy(pb.message.header as Uint8Array), body: copy(pb.message.body as Uint8Array) } }
  }
  const type = present[0] as HandshakeType
  const value = type === 'contact_request' ? pb.contactRequest : type === 'contact_accept' ? pb.contactAccept : pb.contactReject
  return { type, bytes: copy(checkLength(`Envelope.${type}`, value, 1, HANDSHAKE_LIMITS[type])) }
}

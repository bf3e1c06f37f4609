/**
 * Typed errors of the envelope, content and padding codecs (PROTOCOL.md §7.4). One class per failure kind, each with a
 * stable `code`; decoders throw nothing else.
 */
import { TernError } from '../errors.js'

/** The envelope is shorter than MIN_ENVELOPE_BYTES (empty included). */
export class EnvelopeTooShortError extends TernError {
  readonly length: number
  constructor (length: number) {
    super('ERR_ENVELOPE_TOO_SHORT', `envelope of ${length} bytes is too short`)
    this.length = length
  }
}

/** The first byte is not a version this implementation speaks. */
export class UnsupportedVersionError extends TernError {
  readonly version: number
  constructor (version: number) {
    super('ERR_UNSUPPORTED_VERSION', `unsupported envelope version ${version}`)
    this.version = version
  }
}

/** The envelope is longer than MAX_ENVELOPE_BYTES (checked before parsing). */
export class EnvelopeTooLargeError extends TernError {
  readonly length: number
  constructor (length: number) {
    super('ERR_ENVELOPE_TOO_LARGE', `envelope of ${length} bytes is too large`)
    this.length = length
  }
}

/** An encoded Content is longer than MAX_CONTENT_BYTES (checked before parsing). */
export class ContentTooLargeError extends TernError {
  readonly length: number
  constructor (length: number) {
    super('ERR_CONTENT_TOO_LARGE', `content of ${length} bytes is too large`)
    this.length = length
  }
}

/** The bytes are not a well-formed protobuf of the expected schema (§7.4: Tern's strict wire rules). */
export class MalformedProtobufError extends TernError {
  constructor (schema: string, detail: string) {
    super('ERR_MALFORMED_PROTOBUF', `malformed ${schema}: ${detail}`)
  }
}

/** A repeated field has more elements than its limit (raised while parsing). */
export class TooManyItemsError extends TernError {
  constructor (schema: string, detail: string) {
    super('ERR_TOO_MANY_ITEMS', `${schema}: ${detail}`)
  }
}

/** A field holds a value outside its domain: an unknown enum value or an integer above 2^53 − 1. */
export class InvalidFieldError extends TernError {
  readonly field: string
  constructor (field: string, detail: string) {
    super('ERR_INVALID_FIELD', `${field}: ${detail}`)
    this.field = field
  }
}

/** None of the "exactly one of" body fields is set. */
export class NoBodyError extends TernError {
  constructor (schema: string) {
    super('ERR_NO_BODY', `${schema} has no body`)
  }
}

/** More than one of the "exactly one of" body fields is set. */
export class MultipleBodiesError extends TernError {
  constructor (schema: string, fields: string[]) {
    super('ERR_MULTIPLE_BODIES', `${schema} has several bodies: ${fields.join(', ')}`)
  }
}

/** A required field is absent. */
export class MissingFieldError extends TernError {
  readonly field: string
  constructor (field: string) {
    super('ERR_MISSING_FIELD', `${field} is missing`)
    this.field = field
  }
}

/** A bytes or string field is shorter or longer than its bounds. */
export class FieldLengthError extends TernError {
  readonly field: string
  readonly length: number
  constructor (field: string, length: number, min: number, max: number) {
    super('ERR_FIELD_LENGTH', `${field}: ${length} bytes, expected ${min === max ? `${min}` : `${min}..${max}`}`)
    this.field = field
    this.length = length
  }
}

/** A content is too large to pad: longer than the largest bucket − 1 (the sender's error, §7.3). */
export class MessageTooLargeError extends TernError {
  readonly length: number
  constructor (length: number, max: number) {
    super('ERR_MESSAGE_TOO_LARGE', `message of ${length} bytes exceeds ${max}`)
    this.length = length
  }
}

/** A padded plaintext is not a bucket length or is not content || 0x80 || 0x00… (§7.3). */
export class PaddingError extends TernError {
  constructor (detail: string) {
    super('ERR_BAD_PADDING', `bad padding: ${detail}`)
  }
}

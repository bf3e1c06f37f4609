/**
 * The inner content (PROTOCOL.md §7.2): the plaintext of a ratchet message body before padding. Text messages and the
 * control messages later features need (delivery/read receipts, contact info with a mailbox capability). Pure codec:
 * knows nothing about sessions, stores or the network.
 */
import { copy } from '../crypto/bytes.js'
import { InvalidArgumentError } from '../errors.js'
import {
  MAILBOX_TOKEN_BYTES, MAX_ADDRESSES, MAX_CONTENT_BYTES, MAX_MULTIADDR_BYTES, MAX_NAME_BYTES, MAX_RECEIPT_IDS,
  MAX_RECEIPT_SEQS, MAX_RELAY_ADDRS, MAX_TEXT_BYTES, MESSAGE_ID_BYTES, QUEUE_ID_BYTES
} from './constants.js'
import {
  ContentTooLargeError, FieldLengthError, InvalidFieldError, MissingFieldError, MultipleBodiesError, NoBodyError,
  TooManyItemsError
} from './errors.js'
import * as pb from './pb/content.js'
import { strictDecode, type WireSchema } from './wire.js'

export interface TextMessage {
  /** Random 16-byte message id chosen by the sender; receipts refer to it. */
  id: Uint8Array
  /** Sender's per-conversation sequence number (safe integer ≥ 0). */
  seq: number
  /** Sender's clock when sent, ms since the Unix epoch (safe integer ≥ 0). */
  sentAt: number
  body: string
}

export type ReceiptKind = 'delivered' | 'read'

export interface Receipt {
  kind: ReceiptKind
  ids: Uint8Array[]
  seqs: number[]
}

export interface MailboxCapability {
  relayAddrs: Uint8Array[]
  queueId: Uint8Array
  token: Uint8Array
}

export interface ContactInfo {
  name: string
  mailbox?: MailboxCapability
  addresses: Uint8Array[]
}

export type Content =
  | { type: 'text', text: TextMessage }
  | { type: 'receipt', receipt: Receipt }
  | { type: 'contact_info', contactInfo: ContactInfo }

const TEXT_WIRE: WireSchema = {
  name: 'Text',
  fields: {
    1: { name: 'id', kind: 'bytes' },
    2: { name: 'seq', kind: 'uint64' },
    3: { name: 'sent_at', kind: 'uint64' },
    4: { name: 'body', kind: 'string' }
  }
}
const RECEIPT_WIRE: WireSchema = {
  name: 'Receipt',
  fields: {
    1: { name: 'kind', kind: 'enum', values: [0, 1, 2] },
    2: { name: 'ids', kind: 'bytes', repeated: true },
    3: { name: 'seqs', kind: 'uint64', repeated: true }
  }
}
const MAILBOX_WIRE: WireSchema = {
  name: 'MailboxCapability',
  fields: {
    1: { name: 'relay_addrs', kind: 'bytes', repeated: true },
    2: { name: 'queue_id', kind: 'bytes' },
    3: { name: 'token', kind: 'bytes' }
  }
}
const CONTACT_INFO_WIRE: WireSchema = {
  name: 'ContactInfo',
  fields: {
    1: { name: 'name', kind: 'string' },
    2: { name: 'mailbox', kind: 'message', message: MAILBOX_WIRE },
    3: { name: 'addresses', kind: 'bytes', repeated: true }
  }
}
const CONTENT_WIRE: WireSchema = {
  name: 'Content',
  fields: {
    1: { name: 'text', kind: 'message', message: TEXT_WIRE },
    2: { name: 'receipt', kind: 'message', message: RECEIPT_WIRE },
    3: { name: 'contact_info', kind: 'message', message: CONTACT_INFO_WIRE }
  }
}

/** protons limits on repeated fields: bind while parsing (§7.4). */
const DECODE_LIMITS = {
  receipt: { ids: MAX_RECEIPT_IDS, seqs: MAX_RECEIPT_SEQS },
  contactInfo: { addresses: MAX_ADDRESSES, mailbox: { relayAddrs: MAX_RELAY_ADDRS } }
}

const enc = new TextEncoder()
const LONE_SURROGATE = /\p{Cs}/u

function bytesField (field: string, value: Uint8Array | undefined, min: number, max: number): Uint8Array {
  if (value === undefined) throw new MissingFieldError(field)
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(`${field}: expected Uint8Array`)
  if (value.length < min || value.length > max) throw new FieldLengthError(field, value.length, min, max)
  return value
}

function stringField (field: string, value: string, max: number): void {
  if (typeof value !== 'string') throw new InvalidArgumentError(`${field}: expected string`)
  if (LONE_SURROGATE.test(value)) throw new InvalidFieldError(field, 'not well-formed Unicode (lone surrogate)')
  const n = value.length * 3 <= max ? value.length : enc.encode(value).length // UTF-8 is at most 3 bytes per UTF-16 unit
  if (n > max) throw new FieldLengthError(field, n, 0, max)
}

function uintField (field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new InvalidFieldError(field, 'expected an integer in 0..2^53 - 1')
}

function listField<T> (field: string, value: T[], max: number): T[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError(`${field}: expected an array`)
  if (value.length > max) throw new TooManyItemsError('Content', `${field} has ${value.length} elements, at most ${max}`)
  return value
}

function checkText (t: TextMessage): void {
  bytesField('Text.id', t.id, MESSAGE_ID_BYTES, MESSAGE_ID_BYTES)
  uintField('Text.seq', t.seq)
  uintField('Text.sent_at', t.sentAt)
  stringField('Text.body', t.body, MAX_TEXT_BYTES)
}

function checkReceipt (r: { ids: Uint8Array[], seqs: number[] }): void {
  for (const id of listField('Receipt.ids', r.ids, MAX_RECEIPT_IDS)) bytesField('Receipt.ids', id, MESSAGE_ID_BYTES, MESSAGE_ID_BYTES)
  for (const s of listField('Receipt.seqs', r.seqs, MAX_RECEIPT_SEQS)) uintField('Receipt.seqs', s)
  if (r.ids.length === 0 && r.seqs.length === 0) throw new MissingFieldError('Receipt.ids')
}

function checkMailbox (m: { relayAddrs: Uint8Array[], queueId?: Uint8Array, token?: Uint8Array }): void {
  const addrs = listField('MailboxCapability.relay_addrs', m.relayAddrs, MAX_RELAY_ADDRS)
  if (addrs.length === 0) throw new MissingFieldError('MailboxCapability.relay_addrs')
  for (const a of addrs) bytesField('MailboxCapability.relay_addrs', a, 1, MAX_MULTIADDR_BYTES)
  bytesField('MailboxCapability.queue_id', m.queueId, QUEUE_ID_BYTES, QUEUE_ID_BYTES)
  bytesField('MailboxCapability.token', m.token, MAILBOX_TOKEN_BYTES, MAILBOX_TOKEN_BYTES)
}

function checkContactInfo (c: { name: string, mailbox?: pb.MailboxCapability | MailboxCapability, addresses: Uint8Array[] }): void {
  stringField('ContactInfo.name', c.name, MAX_NAME_BYTES)
  if (c.mailbox !== undefined) checkMailbox(c.mailbox)
  for (const a of listField('ContactInfo.addresses', c.addresses, MAX_ADDRESSES)) bytesField('ContactInfo.addresses', a, 1, MAX_MULTIADDR_BYTES)
}

/** protons types its byte fields as Uint8Array<ArrayBuffer>; it only reads them, so any Uint8Array will do. */
const wireBytes = (b: Uint8Array): Uint8Array<ArrayBuffer> => b as Uint8Array<ArrayBuffer>

const KIND_TO_PB: Readonly<Record<ReceiptKind, pb.Receipt.Kind>> = { delivered: pb.Receipt.Kind.DELIVERED, read: pb.Receipt.Kind.READ }

/** Encodes a content (unpadded); throws the decoder's typed errors for any value the decoder would reject. */
export function encodeContent (content: Content): Uint8Array {
  let msg: pb.Content
  switch (content?.type) {
    case 'text': {
      const t = content.text
      if (t == null) throw new MissingFieldError('Content.text')
      checkText(t)
      msg = { text: { id: wireBytes(t.id), seq: t.seq, sentAt: t.sentAt, body: t.body } }
      break
    }
    case 'receipt': {
      const r = content.receipt
      if (r == null) throw new MissingFieldError('Content.receipt')
      const kind = KIND_TO_PB[r.kind]
      if (kind === undefined) throw new InvalidFieldError('Receipt.kind', 'expected "delivered" or "read"')
      checkReceipt(r)
      msg = { receipt: { kind, ids: r.ids.map(wireBytes), seqs: r.seqs } }
      break
    }
    case 'contact_info': {
      const c = content.contactInfo
      if (c == null) throw new MissingFieldError('Content.contact_info')
      checkContactInfo(c)
      const mailbox = c.mailbox === undefined
        ? {}
        : { mailbox: { relayAddrs: c.mailbox.relayAddrs.map(wireBytes), queueId: wireBytes(c.mailbox.queueId), token: wireBytes(c.mailbox.token) } }
      msg = { contactInfo: { name: c.name, addresses: c.addresses.map(wireBytes), ...mailbox } }
      break
    }
    default:
      throw new InvalidArgumentError('content: unknown type')
  }
  const out = pb.Content.encode(msg)
  if (out.length > MAX_CONTENT_BYTES) throw new ContentTooLargeError(out.length)
  return out
}

/**
 * Decodes a content (already unpadded). Rejects, in this order (§7.4): over MAX_CONTENT_BYTES → malformed protobuf (and,
 * while parsing, unknown enum values, integers above 2^53 − 1, repeated fields over their limits) → no body / several
 * bodies → missing field → field length or count out of bounds. Throws nothing but those typed errors (all TernError).
 */
export function decodeContent (bytes: Uint8Array): Content {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('content: expected Uint8Array')
  if (bytes.length > MAX_CONTENT_BYTES) throw new ContentTooLargeError(bytes.length)
  const m = strictDecode(bytes, CONTENT_WIRE, (b) => pb.Content.decode(b, { limits: DECODE_LIMITS }))

  const present: string[] = []
  if (m.text !== undefined) present.push('text')
  if (m.receipt !== undefined) present.push('receipt')
  if (m.contactInfo !== undefined) present.push('contact_info')
  if (present.length === 0) throw new NoBodyError('Content')
  if (present.length > 1) throw new MultipleBodiesError('Content', present)

  if (m.text !== undefined) {
    const t = m.text
    const id = bytesField('Text.id', t.id, MESSAGE_ID_BYTES, MESSAGE_ID_BYTES)
    stringField('Text.body', t.body, MAX_TEXT_BYTES)
    return { type: 'text', text: { id: copy(id), seq: t.seq, sentAt: t.sentAt, body: t.body } }
  }
  if (m.receipt !== undefined) {
    const r = m.receipt
    if (r.kind !== pb.Receipt.Kind.DELIVERED && r.kind !== pb.Receipt.Kind.READ) throw new MissingFieldError('Receipt.kind')
    checkReceipt(r)
    return { type: 'receipt', receipt: { kind: r.kind === pb.Receipt.Kind.READ ? 'read' : 'delivered', ids: r.ids.map(copy), seqs: [...r.seqs] } }
  }
  const c = m.contactInfo as pb.ContactInfo
  checkContactInfo(c)
  const info: ContactInfo = { name: c.name, addresses: c.addresses.map(copy) }
  if (c.mailbox !== undefined) {
    info.mailbox = { relayAddrs: c.mailbox.relayAddrs.map(copy), queueId: copy(c.mailbox.queueId as Uint8Array), token: copy(c.mailbox.token as Uint8Array) }
  }
  return { type: 'contact_info', contactInfo: info }
}

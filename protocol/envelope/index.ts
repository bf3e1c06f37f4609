/**
 * Envelopes and wire codecs (PROTOCOL.md §7): the outer envelope of /tern/msg/1.0.0 and relay mailboxes, the inner
 * content of ratchet messages, and length-hiding padding. Owns the byte layouts and their limits; must not know about
 * keys, sessions, stores or the network (the ratchet encrypts what `sealContent` returns and decrypts into `openContent`).
 */
import { decodeContent, encodeContent, type Content } from './content.js'
import { pad, unpad } from './padding.js'

export * from './constants.js'
export * from './errors.js'
export { encodeEnvelope, decodeEnvelope } from './codec.js'
export type { Envelope, RatchetMessage, HandshakeType } from './codec.js'
export { encodeContent, decodeContent } from './content.js'
export type { Content, TextMessage, Receipt, ReceiptKind, ContactInfo, MailboxCapability } from './content.js'
export { pad, unpad, paddedLength } from './padding.js'
export { checkWire, strictDecode } from './wire.js'
export type { WireSchema, FieldRule, FieldKind } from './wire.js'

/** The plaintext a ratchet encrypts: pad(encodeContent(content)), always exactly one padding bucket long (§7.3). */
export function sealContent (content: Content): Uint8Array {
  return pad(encodeContent(content))
}

/** The inverse of sealContent, for a decrypted ratchet body: decodeContent(unpad(padded)). */
export function openContent (padded: Uint8Array): Content {
  return decodeContent(unpad(padded))
}

/** fast-check arbitraries and valid sample encodings for protocol/envelope (shared by its unit, property and fuzz tests). */
import fc from 'fast-check'
import {
  encodeContent, encodeEnvelope, MAX_ADDRESSES, MAX_RELAY_ADDRS, RATCHET_BODY_LENGTHS, RATCHET_HEADER_BYTES,
  type Content, type Envelope
} from '../../protocol/envelope/index.js'

/** fast-check 4 makes null-prototype records by default; decoders return plain objects. */
const NP = { noNullPrototype: true }
const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n })
const multiaddr = fc.uint8Array({ minLength: 1, maxLength: 64 })

export const ratchetBodyArb: fc.Arbitrary<Uint8Array> =
  fc.constantFrom(...RATCHET_BODY_LENGTHS.slice(0, 3)).chain(n => bytes(n))

export const envelopeArb: fc.Arbitrary<Envelope> = fc.oneof(
  fc.record({ type: fc.constant('message' as const), message: fc.record({ header: bytes(RATCHET_HEADER_BYTES), body: ratchetBodyArb }, NP) }, NP),
  fc.record({
    type: fc.constantFrom('contact_request' as const, 'contact_accept' as const, 'contact_reject' as const),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 1024 })
  }, NP)
)

export const textArb = fc.record({
  id: bytes(16),
  seq: fc.maxSafeNat(),
  sentAt: fc.maxSafeNat(),
  body: fc.string({ unit: 'binary', maxLength: 600 })
}, NP)

export const receiptArb = fc.record({
  kind: fc.constantFrom('delivered' as const, 'read' as const),
  ids: fc.array(bytes(16), { maxLength: 12 }),
  seqs: fc.array(fc.maxSafeNat(), { maxLength: 12 })
}, NP).filter(r => r.ids.length + r.seqs.length > 0)

export const mailboxArb = fc.record({
  relayAddrs: fc.array(multiaddr, { minLength: 1, maxLength: MAX_RELAY_ADDRS }),
  queueId: bytes(16),
  token: bytes(32)
}, NP)

export const contactInfoArb = fc.record({
  name: fc.string({ unit: 'binary', maxLength: 16 }),
  mailbox: mailboxArb,
  addresses: fc.array(multiaddr, { maxLength: MAX_ADDRESSES })
}, { requiredKeys: ['name', 'addresses'], noNullPrototype: true })

export const contentArb: fc.Arbitrary<Content> = fc.oneof(
  fc.record({ type: fc.constant('text' as const), text: textArb }, NP),
  fc.record({ type: fc.constant('receipt' as const), receipt: receiptArb }, NP),
  fc.record({ type: fc.constant('contact_info' as const), contactInfo: contactInfoArb }, NP)
)

/** A fixed sample of valid contents and envelopes (seeds for the fuzzer, fixtures for unit tests). */
export function sampleContents (): Content[] {
  const id = (b: number): Uint8Array => new Uint8Array(16).fill(b)
  return [
    { type: 'text', text: { id: id(1), seq: 7, sentAt: 1_700_000_000_000, body: 'hello, tern 🐦' } },
    { type: 'text', text: { id: id(2), seq: 0, sentAt: 0, body: '' } },
    { type: 'receipt', receipt: { kind: 'delivered', ids: [id(1), id(2), id(3)], seqs: [] } },
    { type: 'receipt', receipt: { kind: 'read', ids: [id(4)], seqs: [1, 2, 300, 2 ** 40] } },
    {
      type: 'contact_info',
      contactInfo: {
        name: 'Alice',
        mailbox: { relayAddrs: [new Uint8Array([4, 127, 0, 0, 1, 6, 0x0f, 0xa1])], queueId: id(9), token: new Uint8Array(32).fill(7) },
        addresses: [new Uint8Array([4, 10, 0, 0, 2, 6, 0x10, 0x00])]
      }
    },
    { type: 'contact_info', contactInfo: { name: '', addresses: [] } }
  ]
}

export function sampleEnvelopes (): Envelope[] {
  const header = new Uint8Array(RATCHET_HEADER_BYTES).map((_, i) => i * 31)
  return [
    { type: 'message', message: { header, body: new Uint8Array(RATCHET_BODY_LENGTHS[0]).map((_, i) => i * 17) } },
    { type: 'message', message: { header, body: new Uint8Array(RATCHET_BODY_LENGTHS[1]).fill(0x22) } },
    { type: 'contact_request', bytes: new Uint8Array(1300).map((_, i) => i * 7) },
    { type: 'contact_accept', bytes: new Uint8Array(1200).map((_, i) => i * 13) },
    { type: 'contact_reject', bytes: new Uint8Array([1, 2, 3]) }
  ]
}

export const sampleContentEncodings = (): Uint8Array[] => sampleContents().map(encodeContent)
export const sampleEnvelopeEncodings = (): Uint8Array[] => sampleEnvelopes().map(encodeEnvelope)

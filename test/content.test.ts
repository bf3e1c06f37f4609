/** Inner content codec (PROTOCOL.md §7.2, §7.4): round trips, strict wire rules, limits, typed errors, short fuzz. */
import t from 'tap'
import fc from 'fast-check'
import { isDeepStrictEqual } from 'node:util'
import { TernError } from '../protocol/errors.js'
import {
  decodeContent, encodeContent, openContent, sealContent, MAX_ADDRESSES, MAX_CONTENT_BYTES, MAX_MULTIADDR_BYTES,
  MAX_NAME_BYTES, MAX_RECEIPT_IDS, MAX_RECEIPT_SEQS, MAX_RELAY_ADDRS, MAX_TEXT_BYTES, PADDING_BUCKETS, type Content
} from '../protocol/envelope/index.js'
import { contentArb, sampleContentEncodings, sampleContents } from './helpers/envelope-arbitraries.js'
import { fuzzDecoder } from './helpers/fuzz.js'

function code (fn: () => unknown): string {
  try { fn() } catch (err) { return err instanceof TernError ? err.code : `untyped: ${String(err)}` }
  return 'accepted'
}
function varint (n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) { out.push((n % 128) | 0x80); n = Math.floor(n / 128) }
  out.push(n)
  return out
}
const ld = (field: number, body: Uint8Array | number[]): number[] => [(field << 3) | 2, ...varint(body.length), ...Array.from(body)]
const vi = (field: number, n: number): number[] => [(field << 3), ...varint(n)]
const u8 = (a: number[]): Uint8Array => Uint8Array.from(a)
const id = (b: number): number[] => new Array(16).fill(b)
const text = (fields: number[]): Uint8Array => u8(ld(1, fields))
const receipt = (fields: number[]): Uint8Array => u8(ld(2, fields))
const info = (fields: number[]): Uint8Array => u8(ld(3, fields))
const mailbox = (fields: number[]): Uint8Array => info(ld(2, fields))

t.test('round trip: samples, fast-check, seal/open', async t => {
  for (const c of sampleContents()) {
    t.same(decodeContent(encodeContent(c)), c, c.type)
    t.same(openContent(sealContent(c)), c, `${c.type} sealed`)
  }
  fc.assert(fc.property(contentArb, c => isDeepStrictEqual(decodeContent(encodeContent(c)), c)), { numRuns: 500 })
  fc.assert(fc.property(contentArb, c => {
    const sealed = sealContent(c)
    return PADDING_BUCKETS.includes(sealed.length) && isDeepStrictEqual(openContent(sealed), c)
  }), { numRuns: 200 })
  t.pass('700 random contents round-trip')
})

t.test('byte layout of a text message', async t => {
  const c: Content = { type: 'text', text: { id: new Uint8Array(16).fill(1), seq: 300, sentAt: 1, body: 'hi' } }
  t.same(Array.from(encodeContent(c)), ld(1, [...ld(1, id(1)), ...vi(2, 300), ...vi(3, 1), ...ld(4, [0x68, 0x69])]))
  const r: Content = { type: 'receipt', receipt: { kind: 'read', ids: [], seqs: [5, 6] } }
  t.same(Array.from(encodeContent(r)), ld(2, [...vi(1, 2), ...vi(3, 5), ...vi(3, 6)]), 'seqs are unpacked')
})

t.test('limits: exactly at the bound passes, one over fails', async t => {
  const body = (n: number): Content => ({ type: 'text', text: { id: new Uint8Array(16), seq: 0, sentAt: 0, body: 'é'.repeat(n / 2) + 'a'.repeat(n % 2) } })
  t.equal(code(() => decodeContent(encodeContent(body(MAX_TEXT_BYTES)))), 'accepted', 'text of 32 KiB')
  t.equal(code(() => encodeContent(body(MAX_TEXT_BYTES + 1))), 'ERR_FIELD_LENGTH', 'encoder: text over 32 KiB')
  t.equal(code(() => decodeContent(text([...ld(1, id(0)), ...ld(4, new Array(MAX_TEXT_BYTES + 1).fill(0x61))]))), 'ERR_FIELD_LENGTH', 'decoder: text over 32 KiB')
  const name = (n: number): Content => ({ type: 'contact_info', contactInfo: { name: 'x'.repeat(n), addresses: [] } })
  t.equal(code(() => encodeContent(name(MAX_NAME_BYTES))), 'accepted')
  t.equal(code(() => encodeContent(name(MAX_NAME_BYTES + 1))), 'ERR_FIELD_LENGTH')
  t.equal(code(() => decodeContent(info(ld(1, new Array(MAX_NAME_BYTES + 1).fill(0x61))))), 'ERR_FIELD_LENGTH')

  const ids = (n: number): number[] => new Array(n).fill(0).flatMap(() => ld(2, id(7)))
  t.equal(code(() => decodeContent(receipt([...vi(1, 1), ...ids(MAX_RECEIPT_IDS)]))), 'accepted', '256 ids')
  t.equal(code(() => decodeContent(receipt([...vi(1, 1), ...ids(MAX_RECEIPT_IDS + 1)]))), 'ERR_TOO_MANY_ITEMS', '257 ids, while parsing')
  t.equal(code(() => decodeContent(receipt(ids(MAX_RECEIPT_IDS + 1)))), 'ERR_TOO_MANY_ITEMS', 'limit binds before the missing kind is seen')
  const seqs = (n: number): number[] => new Array(n).fill(0).flatMap((_, i) => vi(3, i))
  t.equal(code(() => decodeContent(receipt([...vi(1, 2), ...seqs(MAX_RECEIPT_SEQS)]))), 'accepted', '256 seqs')
  t.equal(code(() => decodeContent(receipt([...vi(1, 2), ...seqs(MAX_RECEIPT_SEQS + 1)]))), 'ERR_TOO_MANY_ITEMS', '257 seqs')
  t.equal(code(() => encodeContent({ type: 'receipt', receipt: { kind: 'read', ids: new Array(257).fill(new Uint8Array(16)), seqs: [] } })), 'ERR_TOO_MANY_ITEMS', 'encoder: 257 ids')

  const addrs = (field: number, n: number): number[] => new Array(n).fill(0).flatMap(() => ld(field, [4, 1, 2, 3, 4]))
  const mb = [...ld(2, id(1)), ...ld(3, new Array(32).fill(2))]
  t.equal(code(() => decodeContent(info(addrs(3, MAX_ADDRESSES)))), 'accepted', '16 addresses')
  t.equal(code(() => decodeContent(info(addrs(3, MAX_ADDRESSES + 1)))), 'ERR_TOO_MANY_ITEMS', '17 addresses')
  t.equal(code(() => decodeContent(mailbox([...addrs(1, MAX_RELAY_ADDRS), ...mb]))), 'accepted', '8 relay addrs')
  t.equal(code(() => decodeContent(mailbox([...addrs(1, MAX_RELAY_ADDRS + 1), ...mb]))), 'ERR_TOO_MANY_ITEMS', '9 relay addrs')
  t.equal(code(() => decodeContent(info(ld(3, new Array(MAX_MULTIADDR_BYTES + 1).fill(1))))), 'ERR_FIELD_LENGTH', 'address over 512 bytes')
  t.equal(code(() => decodeContent(info(ld(3, [])))), 'ERR_FIELD_LENGTH', 'empty address')
  t.equal(code(() => decodeContent(new Uint8Array(MAX_CONTENT_BYTES + 1))), 'ERR_CONTENT_TOO_LARGE', 'size before parsing')
})

t.test('strict wire rules: malformed protobuf', async t => {
  const ok = [...ld(1, id(1)), ...vi(2, 1)]
  t.equal(code(() => decodeContent(text(ok))), 'accepted', 'baseline')
  t.equal(code(() => decodeContent(text([...ok, ...ld(1, id(1))]))), 'ERR_MALFORMED_PROTOBUF', 'duplicate singular field')
  t.equal(code(() => decodeContent(u8([...ld(1, ok), ...ld(1, ok)]))), 'ERR_MALFORMED_PROTOBUF', 'duplicate body field')
  t.equal(code(() => decodeContent(text([...ld(1, id(1)), 0x12, 0x01, 0x05]))), 'ERR_MALFORMED_PROTOBUF', 'seq with wire type 2')
  t.equal(code(() => decodeContent(receipt([...vi(1, 1), ...ld(3, [1, 2, 3])]))), 'ERR_MALFORMED_PROTOBUF', 'packed seqs are rejected')
  t.equal(code(() => decodeContent(text([...ld(1, id(1)), 0x10, 0x81, 0x00]))), 'ERR_MALFORMED_PROTOBUF', 'overlong varint')
  t.equal(code(() => decodeContent(text([...ld(1, id(1)), 0x10, ...new Array(10).fill(0xff), 0x01]))), 'ERR_MALFORMED_PROTOBUF', '11-byte varint')
  t.equal(code(() => decodeContent(text([...ld(1, id(1)), 0x10, ...new Array(9).fill(0xff), 0x02]))), 'ERR_MALFORMED_PROTOBUF', 'varint over 64 bits')
  t.equal(code(() => decodeContent(text([...ld(1, id(1)), ...ld(4, [0xc3, 0x28])]))), 'ERR_MALFORMED_PROTOBUF', 'invalid UTF-8')
  t.equal(code(() => decodeContent(text([...ld(1, id(1)), ...ld(4, [0xed, 0xa0, 0x80])]))), 'ERR_MALFORMED_PROTOBUF', 'UTF-8 encoded surrogate')
  t.equal(code(() => decodeContent(u8([0x0a, 0x02, ...ld(1, id(1))]))), 'ERR_MALFORMED_PROTOBUF', 'field runs past its sub-message')
  t.equal(code(() => decodeContent(u8([0x0e, 0x00]))), 'ERR_MALFORMED_PROTOBUF', 'wire type 6')
  t.equal(code(() => decodeContent(u8([0x80, 0x80, 0x80, 0x80, 0x10, 0x00]))), 'ERR_MALFORMED_PROTOBUF', 'tag over 32 bits')
  t.equal(code(() => decodeContent(u8([...ld(1, ok), 0x79, 1, 2, 3]))), 'ERR_MALFORMED_PROTOBUF', 'truncated fixed64 unknown field')
  t.equal(code(() => decodeContent(u8([...ld(1, ok), 0x78, 0x05, 0x7d, 1, 2, 3, 4]))), 'accepted', 'unknown varint and fixed32 fields are skipped')
})

t.test('field values, body count and required fields', async t => {
  t.equal(code(() => decodeContent(text([...ld(1, id(1)), ...vi(2, 2 ** 53)]))), 'ERR_INVALID_FIELD', 'seq of 2^53')
  t.equal(code(() => decodeContent(text([...ld(1, id(1)), ...vi(2, 2 ** 53 - 1)]))), 'accepted', 'seq of 2^53 - 1')
  t.equal(code(() => decodeContent(receipt([...vi(1, 3), ...ld(2, id(1))]))), 'ERR_INVALID_FIELD', 'receipt kind 3')
  t.equal(code(() => decodeContent(receipt(ld(2, id(1))))), 'ERR_MISSING_FIELD', 'receipt kind absent')
  t.equal(code(() => decodeContent(receipt([...vi(1, 0), ...ld(2, id(1))]))), 'ERR_MISSING_FIELD', 'receipt kind 0')
  t.equal(code(() => decodeContent(receipt(vi(1, 1)))), 'ERR_MISSING_FIELD', 'receipt without ids or seqs')
  t.equal(code(() => decodeContent(receipt([...vi(1, 1), ...ld(2, id(1).slice(1))]))), 'ERR_FIELD_LENGTH', '15-byte id')
  t.equal(code(() => decodeContent(new Uint8Array())), 'ERR_NO_BODY', 'empty content')
  t.equal(code(() => decodeContent(u8(ld(9, [1])))), 'ERR_NO_BODY', 'only an unknown field')
  t.equal(code(() => decodeContent(u8([...ld(1, ld(1, id(1))), ...ld(3, [])]))), 'ERR_MULTIPLE_BODIES', 'text and contact_info')
  t.equal(code(() => decodeContent(text([]))), 'ERR_MISSING_FIELD', 'text without id')
  t.equal(code(() => decodeContent(text(ld(1, id(1).slice(2))))), 'ERR_FIELD_LENGTH', 'short id')
  t.equal(code(() => decodeContent(mailbox(ld(2, id(1))))), 'ERR_MISSING_FIELD', 'mailbox without relay addrs')
  t.equal(code(() => decodeContent(mailbox([...ld(1, [4]), ...ld(2, id(1))]))), 'ERR_MISSING_FIELD', 'mailbox without token')
  t.equal(code(() => decodeContent(mailbox([...ld(1, [4]), ...ld(2, id(1)), ...ld(3, id(1))]))), 'ERR_FIELD_LENGTH', '16-byte token')
  t.equal(code(() => decodeContent(info([]))), 'accepted', 'empty contact info (no name, no mailbox, no addresses)')
})

t.test('encoder refuses what the decoder rejects', async t => {
  const tx = (over: Partial<{ id: Uint8Array, seq: number, sentAt: number, body: string }>): Content =>
    ({ type: 'text', text: { id: new Uint8Array(16), seq: 1, sentAt: 1, body: 'x', ...over } })
  t.equal(code(() => encodeContent(tx({ seq: -1 }))), 'ERR_INVALID_FIELD')
  t.equal(code(() => encodeContent(tx({ sentAt: 2 ** 53 }))), 'ERR_INVALID_FIELD')
  t.equal(code(() => encodeContent(tx({ seq: 1.5 }))), 'ERR_INVALID_FIELD')
  t.equal(code(() => encodeContent(tx({ body: 'a\uD800b' }))), 'ERR_INVALID_FIELD', 'lone surrogate')
  t.equal(code(() => encodeContent(tx({ id: new Uint8Array(15) }))), 'ERR_FIELD_LENGTH')
  t.equal(code(() => encodeContent({ type: 'receipt', receipt: { kind: 'seen' as 'read', ids: [new Uint8Array(16)], seqs: [] } })), 'ERR_INVALID_FIELD')
  t.equal(code(() => encodeContent({ type: 'receipt', receipt: { kind: 'read', ids: [], seqs: [] } })), 'ERR_MISSING_FIELD')
  t.equal(code(() => encodeContent({ type: 'contact_info', contactInfo: { name: '', addresses: [], mailbox: { relayAddrs: [], queueId: new Uint8Array(16), token: new Uint8Array(32) } } })), 'ERR_MISSING_FIELD')
  t.equal(code(() => encodeContent({ type: 'bogus' } as unknown as Content)), 'ERR_INVALID_ARGUMENT')
})

t.test('every proper prefix of a valid encoding is rejected with a typed error', async t => {
  let n = 0
  for (const bytes of sampleContentEncodings()) {
    for (let len = 0; len < bytes.length; len++) {
      const c = code(() => decodeContent(bytes.subarray(0, len)))
      if (c.startsWith('untyped')) t.fail(`prefix ${len}: ${c}`)
      if (len > 0 && c === 'accepted') t.fail(`prefix ${len} of ${bytes.length} accepted`)
      n++
    }
  }
  t.ok(n > 200, `${n} prefixes, all rejected with typed errors`)
})

t.test('short fuzz: 5,000 inputs each for decodeContent and openContent', async t => {
  const roundTrip = (c: Content): void => { if (!isDeepStrictEqual(decodeContent(encodeContent(c)), c)) throw new Error('re-encode differs') }
  await fuzzDecoder(t, { name: 'decodeContent', decode: decodeContent, seeds: sampleContentEncodings(), cases: 5000, typedErrorBase: TernError, onAccept: roundTrip })
  await fuzzDecoder(t, { name: 'openContent', decode: openContent, seeds: sampleContents().map(sealContent), cases: 5000, typedErrorBase: TernError, onAccept: roundTrip })
})

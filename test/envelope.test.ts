/** Outer envelope codec (PROTOCOL.md §7.1, §7.4): round trips, decoder order, limits, truncation and a short fuzz run. */
import t from 'tap'
import fc from 'fast-check'
import { isDeepStrictEqual } from 'node:util'
import { TernError } from '../protocol/errors.js'
import {
  decodeEnvelope, encodeEnvelope, MAX_CONTACT_ACCEPT_BYTES, MAX_CONTACT_REJECT_BYTES, MAX_CONTACT_REQUEST_BYTES, MAX_ENVELOPE_BYTES, RATCHET_BODY_LENGTHS, RATCHET_HEADER_BYTES,
  UnsupportedVersionError, type Envelope
} from '../protocol/envelope/index.js'
import { envelopeArb, sampleEnvelopeEncodings, sampleEnvelopes } from './helpers/envelope-arbitraries.js'
import { fuzzDecoder } from './helpers/fuzz.js'

function code (fn: () => unknown): string {
  try { fn() } catch (err) {
    if (err instanceof TernError) return err.code
    return `untyped: ${String(err)}`
  }
  return 'accepted'
}

const v = (...b: number[]): Uint8Array => Uint8Array.from([0x01, ...b])
/** protobuf length-delimited field */
function ld (field: number, body: Uint8Array | number[]): number[] {
  const b = Array.from(body)
  const len: number[] = []
  let n = b.length
  while (n >= 0x80) { len.push((n & 0x7f) | 0x80); n >>>= 7 }
  len.push(n)
  return [(field << 3) | 2, ...len, ...b]
}
const header = new Uint8Array(RATCHET_HEADER_BYTES).fill(3)
const body = new Uint8Array(RATCHET_BODY_LENGTHS[0]).fill(4)

t.test('round trip: samples and fast-check', async t => {
  for (const env of sampleEnvelopes()) t.same(decodeEnvelope(encodeEnvelope(env)), env, env.type)
  fc.assert(fc.property(envelopeArb, env => {
    const bytes = encodeEnvelope(env)
    return bytes[0] === 0x01 && isDeepStrictEqual(decodeEnvelope(bytes), env)
  }), { numRuns: 300 })
  t.pass('300 random envelopes round-trip')
})

t.test('byte layout: version byte then protobuf', async t => {
  const bytes = encodeEnvelope({ type: 'contact_reject', bytes: new Uint8Array([9, 8]) })
  t.same(Array.from(bytes), [0x01, 0x22, 0x02, 9, 8])
  const m = encodeEnvelope({ type: 'message', message: { header, body } })
  t.same(Array.from(m.subarray(0, 6)), [0x01, 0x0a, 0xd9, 0x02, 0x0a, 68], 'message: field 1, len 345, header field 1 len 68')
  t.equal(m.length, 1 + 3 + 2 + 68 + 3 + 272)
})

t.test('decoder order and typed errors', async t => {
  const valid = encodeEnvelope({ type: 'contact_request', bytes: new Uint8Array([1, 2, 3]) })
  t.equal(code(() => decodeEnvelope(new Uint8Array())), 'ERR_ENVELOPE_TOO_SHORT', 'empty')
  t.equal(code(() => decodeEnvelope(new Uint8Array([1]))), 'ERR_ENVELOPE_TOO_SHORT', 'version byte only')
  t.equal(code(() => decodeEnvelope(new Uint8Array([7]))), 'ERR_ENVELOPE_TOO_SHORT', 'short before version')
  const v2 = Uint8Array.from(valid); v2[0] = 2
  t.equal(code(() => decodeEnvelope(v2)), 'ERR_UNSUPPORTED_VERSION', 'version 2')
  try { decodeEnvelope(v2) } catch (err) { t.equal((err as UnsupportedVersionError).version, 2) }
  t.equal(code(() => decodeEnvelope(new Uint8Array([0, ...valid.subarray(1)]))), 'ERR_UNSUPPORTED_VERSION', 'version 0')
  const huge = new Uint8Array(MAX_ENVELOPE_BYTES + 1).fill(0xff)
  t.equal(code(() => decodeEnvelope(huge)), 'ERR_UNSUPPORTED_VERSION', 'version is checked before size')
  huge[0] = 1
  t.equal(code(() => decodeEnvelope(huge)), 'ERR_ENVELOPE_TOO_LARGE', 'size is checked before parsing')
  t.equal(code(() => decodeEnvelope(v(0x12))), 'ERR_MALFORMED_PROTOBUF', 'truncated length')
  t.equal(code(() => decodeEnvelope(v(0x12, 5, 1))), 'ERR_MALFORMED_PROTOBUF', 'length past the end')
  t.equal(code(() => decodeEnvelope(v(0x10, 1))), 'ERR_MALFORMED_PROTOBUF', 'wrong wire type for contact_request')
  t.equal(code(() => decodeEnvelope(v(0x0b, 0x0c))), 'ERR_MALFORMED_PROTOBUF', 'group wire type')
  t.equal(code(() => decodeEnvelope(v(0x02, 0x00))), 'ERR_MALFORMED_PROTOBUF', 'field number 0')
  t.equal(code(() => decodeEnvelope(v(0x12, 0x81, 0x00, 1))), 'ERR_MALFORMED_PROTOBUF', 'overlong varint')
  t.equal(code(() => decodeEnvelope(v(...ld(2, [1]), ...ld(2, [2])))), 'ERR_MALFORMED_PROTOBUF', 'duplicate field')
  // message of declared length 2 whose header field claims 68 bytes: runs past the sub-message
  t.equal(code(() => decodeEnvelope(v(0x0a, 0x02, 0x0a, 68, ...header))), 'ERR_MALFORMED_PROTOBUF', 'sub-message overrun')
  t.equal(code(() => decodeEnvelope(v(...ld(15, [1, 2])))), 'ERR_NO_BODY', 'only an unknown field')
  t.equal(code(() => decodeEnvelope(v(0x7a, 0x00))), 'ERR_NO_BODY', 'empty unknown field')
  t.equal(code(() => decodeEnvelope(v(...ld(2, [1]), ...ld(3, [2])))), 'ERR_MULTIPLE_BODIES', 'request and accept')
  t.equal(code(() => decodeEnvelope(v(...ld(1, [...ld(1, header), ...ld(2, body)]), ...ld(4, [1])))), 'ERR_MULTIPLE_BODIES', 'message and reject')
  t.equal(code(() => decodeEnvelope(v(...ld(1, ld(2, body))))), 'ERR_MISSING_FIELD', 'message without header')
  t.equal(code(() => decodeEnvelope(v(...ld(1, ld(1, header))))), 'ERR_MISSING_FIELD', 'message without body')
  t.equal(code(() => decodeEnvelope(v(...ld(1, [])))), 'ERR_MISSING_FIELD', 'empty message')
  t.equal(code(() => decodeEnvelope(v(...ld(1, [...ld(1, header.subarray(1)), ...ld(2, body)])))), 'ERR_FIELD_LENGTH', '67-byte header')
  t.equal(code(() => decodeEnvelope(v(...ld(1, [...ld(1, header), ...ld(2, body.subarray(1))])))), 'ERR_FIELD_LENGTH', 'body not bucket + 16')
  t.equal(code(() => decodeEnvelope(v(...ld(1, [...ld(1, header), ...ld(2, new Uint8Array(256))])))), 'ERR_FIELD_LENGTH', 'unpadded body of 256')
  t.equal(code(() => decodeEnvelope(v(...ld(2, [])))), 'ERR_FIELD_LENGTH', 'empty contact_request')
  const limits: Array<[number, number, string]> = [[2, MAX_CONTACT_REQUEST_BYTES, 'request'], [3, MAX_CONTACT_ACCEPT_BYTES, 'accept'], [4, MAX_CONTACT_REJECT_BYTES, 'reject']]
  for (const [field, max, name] of limits) {
    t.equal(code(() => decodeEnvelope(v(...ld(field, new Uint8Array(max))))), 'accepted', `contact_${name} of exactly ${max} bytes`)
    t.equal(code(() => decodeEnvelope(v(...ld(field, new Uint8Array(max + 1))))), 'ERR_FIELD_LENGTH', `contact_${name} of ${max + 1} bytes`)
  }
})

t.test('every ratchet body length is accepted; unknown fields are skipped', async t => {
  for (const n of RATCHET_BODY_LENGTHS) {
    const env: Envelope = { type: 'message', message: { header, body: new Uint8Array(n).fill(n & 0xff) } }
    t.same(decodeEnvelope(encodeEnvelope(env)), env, `body ${n}`)
  }
  const withUnknown = v(...ld(2, [5, 6]), 0x78, 0x2a, 0x7d, 1, 2, 3, 4, 0x79, 1, 2, 3, 4, 5, 6, 7, 8)
  t.same(decodeEnvelope(withUnknown), { type: 'contact_request', bytes: new Uint8Array([5, 6]) })
})

t.test('exactly MAX_ENVELOPE_BYTES parses; one more does not', async t => {
  const core = [...ld(2, [1])]
  // unknown field 15 (tag 0x7a) with a 3-byte length filling the envelope to exactly MAX_ENVELOPE_BYTES
  const fill = MAX_ENVELOPE_BYTES - 1 - core.length - 1 - 3
  const big = v(...core, 0x7a, (fill & 0x7f) | 0x80, ((fill >> 7) & 0x7f) | 0x80, fill >> 14, ...new Uint8Array(fill))
  t.equal(big.length, MAX_ENVELOPE_BYTES)
  t.equal(code(() => decodeEnvelope(big)), 'accepted')
  t.equal(code(() => decodeEnvelope(Uint8Array.from([...big, 0]))), 'ERR_ENVELOPE_TOO_LARGE')
})

t.test('every proper prefix of a valid encoding is rejected with a typed error', async t => {
  let n = 0
  const seen = new Set<string>()
  for (const bytes of sampleEnvelopeEncodings()) {
    for (let len = 0; len < bytes.length; len++) {
      const c = code(() => decodeEnvelope(bytes.subarray(0, len)))
      if (c === 'accepted' || c.startsWith('untyped')) t.fail(`prefix ${len} of ${bytes.length}: ${c}`)
      seen.add(c); n++
    }
  }
  t.ok(n > 2000, `${n} prefixes`)
  t.same([...seen].sort(), ['ERR_ENVELOPE_TOO_SHORT', 'ERR_MALFORMED_PROTOBUF'])
})

t.test('encoder refuses what the decoder rejects', async t => {
  t.equal(code(() => encodeEnvelope({ type: 'message', message: { header: header.subarray(1), body } })), 'ERR_FIELD_LENGTH')
  t.equal(code(() => encodeEnvelope({ type: 'message', message: { header, body: new Uint8Array(300) } })), 'ERR_FIELD_LENGTH')
  t.equal(code(() => encodeEnvelope({ type: 'contact_request', bytes: new Uint8Array() })), 'ERR_FIELD_LENGTH')
  t.equal(code(() => encodeEnvelope({ type: 'nope' } as unknown as Envelope)), 'ERR_INVALID_ARGUMENT')
  t.equal(code(() => decodeEnvelope('hello' as unknown as Uint8Array)), 'ERR_INVALID_ARGUMENT')
})

t.test('short fuzz: 5,000 random and mutated inputs', async t => {
  const r = await fuzzDecoder(t, {
    name: 'decodeEnvelope',
    decode: decodeEnvelope,
    seeds: sampleEnvelopeEncodings(),
    cases: 5000,
    typedErrorBase: TernError,
    onAccept: (env) => { if (!isDeepStrictEqual(decodeEnvelope(encodeEnvelope(env)), env)) throw new Error('re-encode differs') }
  })
  t.ok(r.accepted > 0 && r.rejected > 0, 'both accepted and rejected inputs were seen')
})

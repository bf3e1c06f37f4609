/** Length-hiding padding (PROTOCOL.md §7.3): bucket boundaries, round trips and rejection of bad paddings. */
import t from 'tap'
import fc from 'fast-check'
import { TernError } from '../protocol/errors.js'
import { MAX_CONTENT_BYTES, PADDING_BUCKETS, pad, paddedLength, unpad, RATCHET_BODY_LENGTHS, AEAD_TAG_BYTES } from '../protocol/envelope/index.js'
import { fuzzDecoder } from './helpers/fuzz.js'

function code (fn: () => unknown): string {
  try { fn() } catch (err) { return err instanceof TernError ? err.code : `untyped: ${String(err)}` }
  return 'accepted'
}

t.test('round trip at every bucket boundary', async t => {
  const lengths = [0, 1]
  for (const b of PADDING_BUCKETS) lengths.push(b - 2, b - 1, b)
  for (const len of lengths.filter(n => n <= MAX_CONTENT_BYTES)) {
    const content = new Uint8Array(len).map((_, i) => (i * 131 + 7) & 0xff)
    const padded = pad(content)
    const bucket = PADDING_BUCKETS.find(b => b >= len + 1)
    t.equal(padded.length, bucket, `len ${len} pads to ${bucket}`)
    t.equal(padded[len], 0x80)
    t.ok(padded.subarray(len + 1).every(x => x === 0), 'zeros after the marker')
    t.same(unpad(padded), content, `len ${len} unpads`)
  }
  t.same(lengths.filter(n => n > MAX_CONTENT_BYTES), [65536])
  t.equal(code(() => pad(new Uint8Array(MAX_CONTENT_BYTES + 1))), 'ERR_MESSAGE_TOO_LARGE')
  t.equal(code(() => paddedLength(1e9)), 'ERR_MESSAGE_TOO_LARGE')
})

t.test('content ending in 0x80 and 0x00 bytes survives', async t => {
  for (const tail of [[0x80], [0x80, 0x80], [0x00], [0x80, 0x00], [0x00, 0x80, 0x00, 0x00]]) {
    const content = Uint8Array.from([1, 2, ...tail])
    t.same(unpad(pad(content)), content, JSON.stringify(tail))
  }
})

t.test('property: unpad(pad(x)) = x and |pad(x)| is a bucket', async t => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 5000 }), x => {
    const p = pad(x)
    return PADDING_BUCKETS.includes(p.length) && Buffer.compare(unpad(p), x) === 0
  }), { numRuns: 500 })
  t.pass('500 random contents')
  t.same(RATCHET_BODY_LENGTHS, PADDING_BUCKETS.map(b => b + AEAD_TAG_BYTES), 'a ratchet body is a bucket + 16')
})

t.test('bad paddings are PaddingError', async t => {
  const good = pad(Uint8Array.from([1, 2, 3]))
  for (const len of [0, 1, 255, 257, 1000, 65535, 65537]) {
    const b = new Uint8Array(len); if (len > 0) b[0] = 0x80
    t.equal(code(() => unpad(b)), 'ERR_BAD_PADDING', `length ${len}`)
  }
  t.equal(code(() => unpad(new Uint8Array(256))), 'ERR_BAD_PADDING', 'all zero')
  const nonZeroTail = Uint8Array.from(good); nonZeroTail[255] = 1
  t.equal(code(() => unpad(nonZeroTail)), 'ERR_BAD_PADDING', 'non-zero byte after the marker')
  const wrongMarker = Uint8Array.from(good); wrongMarker[3] = 0x81
  t.equal(code(() => unpad(wrongMarker)), 'ERR_BAD_PADDING', 'marker 0x81')
  const noMarker = Uint8Array.from(good); noMarker[3] = 0
  t.equal(code(() => unpad(noMarker)), 'ERR_BAD_PADDING', 'marker cleared: last non-zero byte is content')
  const full = new Uint8Array(256).fill(0x41)
  t.equal(code(() => unpad(full)), 'ERR_BAD_PADDING', 'no padding at all')
  const marker = new Uint8Array(256); marker[255] = 0x80
  t.same(unpad(marker), new Uint8Array(255), 'marker in the last byte: 255 bytes of zero content')
  t.equal(code(() => unpad('x' as unknown as Uint8Array)), 'ERR_INVALID_ARGUMENT')
})

t.test('short fuzz of unpad', async t => {
  await fuzzDecoder(t, {
    name: 'unpad',
    decode: unpad,
    seeds: [pad(new Uint8Array(10)), pad(new Uint8Array(300).fill(9)), pad(new Uint8Array(0))],
    cases: 5000,
    typedErrorBase: TernError,
    codes: ['ERR_BAD_PADDING'],
    onAccept: (content, input) => { if (Buffer.compare(pad(content), input.subarray(0, pad(content).length)) !== 0) throw new Error('pad(unpad(x)) is not a prefix-equal of x') }
  })
})

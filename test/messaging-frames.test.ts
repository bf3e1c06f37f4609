/**
 * The bounded frame decoder of /tern/msg/1.0.0 (PROTOCOL.md §12.2, §12.4): boundaries of the length prefix and the
 * frame size, byte-compatibility with lpStream's varint, and a fast-check fuzz: any bytes in any chunking give the
 * same frames as a whole-buffer reference, or a MsgProtocolError, and never hold more than one partial frame.
 */
import t from 'tap'
import fc from 'fast-check'
import * as varint from 'uint8-varint'
import { FrameDecoder, MAX_FRAME_BYTES, ACK_BYTES, MsgProtocolError, encodeFrame, encodeLength, maxPrefixBytes } from '../node/messaging/index.js'

const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}

/** Whole-buffer reference of §12.2 framing with the §12.4 bounds. */
function reference (bytes: Uint8Array, max: number): { frames: Uint8Array[], reason?: string } {
  const mp = maxPrefixBytes(max)
  const frames: Uint8Array[] = []
  let i = 0
  while (i < bytes.length) {
    let len = 0; let shift = 1; let j = 0; let done = false
    for (; j < mp && i + j < bytes.length; j++) {
      const b = bytes[i + j]
      len += (b & 0x7f) * shift; shift *= 128
      if ((b & 0x80) === 0) { done = true; j++; break }
    }
    if (!done) return j >= mp ? { frames, reason: 'prefix-too-long' } : { frames }
    if (len > max) return { frames, reason: 'frame-too-large' }
    if (i + j + len > bytes.length) return { frames }
    frames.push(bytes.slice(i + j, i + j + len))
    i += j + len
  }
  return { frames }
}

t.test('prefix bound is the varint size of the frame limit', async t => {
  t.equal(maxPrefixBytes(MAX_FRAME_BYTES), 3, '96 KiB needs 3 bytes')
  t.equal(maxPrefixBytes(ACK_BYTES), 1)
  for (const n of [0, 1, 127, 128, 16383, 16384, 2 ** 21 - 1, 2 ** 21, 2 ** 28]) t.equal(maxPrefixBytes(n), varint.encodingLength(n), `n=${n}`)
})

t.test('encodeLength is lpStream\'s varint', async t => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), n => {
    t.same([...encodeLength(n)], [...varint.encode(n)])
  }), { numRuns: 500 })
})

t.test('boundaries: over-long prefix, over-size length, non-minimal prefix, sticky failure', async t => {
  const d1 = new FrameDecoder()
  t.same(d1.push(Uint8Array.of(0x80, 0x80)), [], 'two continuation bytes: still waiting')
  t.throws(() => d1.push(Uint8Array.of(0x80)), { code: 'ERR_MSG_PROTOCOL', reason: 'prefix-too-long' }, 'third continuation byte rejects')
  t.throws(() => d1.push(Uint8Array.of(0x00)), { code: 'ERR_MSG_PROTOCOL', reason: 'prefix-too-long' }, 'spent after a failure')
  t.equal(d1.buffered, 0, 'nothing kept after a failure')

  const d2 = new FrameDecoder()
  t.throws(() => d2.push(encodeLength(MAX_FRAME_BYTES + 1)), { code: 'ERR_MSG_PROTOCOL', reason: 'frame-too-large' }, 'before any body byte')
  const d3 = new FrameDecoder()
  t.same(d3.push(encodeLength(MAX_FRAME_BYTES)), [], 'MAX_FRAME_BYTES is allowed')
  const body = new Uint8Array(MAX_FRAME_BYTES).fill(7)
  t.same(d3.push(body).map(f => f.length), [MAX_FRAME_BYTES])

  const d4 = new FrameDecoder()
  t.same(d4.push(Uint8Array.of(0x81, 0x00, 0xaa, 0x00)).map(f => [...f]), [[0xaa], []], 'non-minimal prefix within the bound; empty frame')

  const d5 = new FrameDecoder(ACK_BYTES)
  t.throws(() => d5.push(Uint8Array.of(0x80)), { code: 'ERR_MSG_PROTOCOL', reason: 'prefix-too-long' }, 'ack reader: one prefix byte only')
  const d6 = new FrameDecoder(ACK_BYTES)
  t.throws(() => d6.push(Uint8Array.of(3)), { code: 'ERR_MSG_PROTOCOL', reason: 'frame-too-large' })
})

t.test('round trip: frames in any chunking come out whole and in order', async t => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 400 }),
    fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 12 }),
    fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
    (max, msgs, cuts) => {
      const frames = msgs.filter(m => m.length <= max)
      const wire = cat(...frames.map(encodeFrame))
      const d = new FrameDecoder(max)
      const got: Uint8Array[] = []
      let o = 0; let k = 0
      while (o < wire.length) { const n = cuts[k++ % cuts.length]; got.push(...d.push(wire.subarray(o, o + n))); o += n }
      t.same(got.map(f => [...f]), frames.map(f => [...f]))
      t.equal(d.buffered, 0)
    }), { numRuns: 300 })
})

t.test('fuzz: arbitrary bytes, arbitrary chunks → reference frames or MsgProtocolError, bounded buffer', async t => {
  let rejected = 0
  const bytesArb = fc.oneof(
    fc.uint8Array({ maxLength: 600 }),
    // valid frames with mutations, so that both accepting and rejecting paths are reached
    fc.tuple(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 5 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }))
      .map(([msgs, muts]) => {
        const w = cat(...msgs.map(encodeFrame))
        for (const [at, v] of muts) if (w.length > 0) w[at % w.length] = v
        return w
      }),
    fc.integer({ min: 1, max: 12 }).map(n => new Uint8Array(n).fill(0x80))
  )
  fc.assert(fc.property(
    fc.oneof(fc.constant(MAX_FRAME_BYTES), fc.constant(ACK_BYTES), fc.integer({ min: 0, max: 2 ** 22 })),
    bytesArb,
    fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }),
    (max, bytes, cuts) => {
      const want = reference(bytes, max)
      const d = new FrameDecoder(max)
      const got: Uint8Array[] = []
      let reason: string | undefined
      let o = 0; let k = 0
      try {
        while (o < bytes.length) {
          const n = cuts[k++ % cuts.length]
          got.push(...d.push(bytes.subarray(o, o + n))); o += n
          if (d.buffered > maxPrefixBytes(max) + max + 50) throw new Error(`holds ${d.buffered} bytes`)
        }
      } catch (err) {
        if (!(err instanceof MsgProtocolError)) throw err
        reason = err.reason
        rejected++
      }
      if (reason !== want.reason) throw new Error(`reason ${String(reason)} != ${String(want.reason)}`)
      // on a rejection, frames completed in the failing chunk are dropped with it (the stream is aborted anyway)
      const expected = reason === undefined ? want.frames : want.frames.slice(0, got.length)
      if (JSON.stringify(got.map(f => [...f])) !== JSON.stringify(expected.map(f => [...f]))) throw new Error('frames differ')
    }), { numRuns: 2000, seed: 0x7e2a })
  t.ok(rejected > 100, `rejections exercised (${rejected})`)
})

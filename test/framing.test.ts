/**
 * protocol/framing, the length-prefix decoder /tern/msg and /tern/mailbox share (PROTOCOL.md §8.1, §12.2): its own
 * typed error when a protocol gives none, byte-at-a-time reassembly, and a spent decoder after a failure.
 */
import t from 'tap'
import { FrameDecoder, FramingError, encodeFrame, encodeLength, maxPrefixBytes } from '../protocol/framing/index.js'

t.test('default error: FramingError with a stable reason', async t => {
  const d = new FrameDecoder(1000)
  t.equal(d.maxPrefixBytes, 2)
  t.throws(() => d.push(encodeLength(1001)), { code: 'ERR_FRAMING', reason: 'frame-too-large' })
  t.throws(() => d.push(Uint8Array.of(1, 0)), { code: 'ERR_FRAMING', reason: 'frame-too-large' }, 'spent after a failure')
  const e = new FrameDecoder(1000)
  try { e.push(Uint8Array.of(0x80, 0x80)); t.fail('should throw') } catch (err) {
    t.ok(err instanceof FramingError); t.equal((err as FramingError).reason, 'prefix-too-long')
  }
})

t.test('frames split at every byte come out whole and in order', async t => {
  const bodies = [new Uint8Array(0), Uint8Array.of(1, 2, 3), new Uint8Array(300).fill(7), new Uint8Array(16384).fill(9)]
  const wire = Buffer.concat(bodies.map(encodeFrame))
  const d = new FrameDecoder(20000)
  const out: Uint8Array[] = []
  for (const b of wire) out.push(...d.push(Uint8Array.of(b)))
  t.same(out.map(f => Buffer.from(f).toString('hex')), bodies.map(b => Buffer.from(b).toString('hex')))
  t.equal(d.buffered, 0, 'nothing left over')
  t.equal(maxPrefixBytes(20000), 3)
})

t.test('a custom error factory decides the error type', async t => {
  class MyError extends Error {}
  const d = new FrameDecoder(10, (m) => new MyError(m))
  let thrown: unknown
  try { d.push(encodeLength(11)) } catch (err) { thrown = err }
  t.ok(thrown instanceof MyError, 'the factory\'s error is thrown')
})

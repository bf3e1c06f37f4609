/**
 * patches/@libp2p+utils+7.4.1.patch: LengthPrefixedDecoder (Noise's frame decoder on every connection) no longer
 * asks its length decoder for a length once the buffer is empty. That decoder throws a RangeError for "not enough
 * bytes", so every chunk that ended on a frame boundary (nearly all) cost an Error and its stack trace: 7-8 ms of each
 * daemon's main thread in the node bench's 300-message window (cpuprofile), none with the patch. What it decodes is
 * unchanged: frames split anywhere, several in one chunk, a partial prefix.
 */
import t from 'tap'
import { LengthPrefixedDecoder } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'

function uint16 (data: Uint8Array | Uint8ArrayList): number {
  if (data.length < 2) throw new RangeError('Could not decode int16BE')
  return data instanceof Uint8Array ? (data[0] << 8) | data[1] : data.getUint16(0)
}

function frame (body: number[]): number[] { return [body.length >> 8, body.length & 0xff, ...body] }

function decoder (): { d: LengthPrefixedDecoder, calls: () => number } {
  let n = 0
  const d = new LengthPrefixedDecoder({ lengthDecoder: (b: Uint8Array | Uint8ArrayList) => { n++; return uint16(b) }, encodingLength: () => 2 })
  return { d, calls: () => n }
}

const bodies = (it: Iterable<Uint8Array | Uint8ArrayList>): number[][] => [...it].map(b => [...b.subarray()])

t.test('two whole frames in one chunk: two lengths read, not a third that would throw', async t => {
  const { d, calls } = decoder()
  t.same(bodies(d.decode(Uint8Array.from([...frame([1, 2, 3]), ...frame([4])]))), [[1, 2, 3], [4]])
  t.equal(calls(), 2)
})

t.test('frames split anywhere, a partial prefix included, decode the same', async t => {
  const bytes = [...frame([9, 8, 7, 6]), ...frame([5, 5]), ...frame([1])]
  for (let cut = 0; cut <= bytes.length; cut++) {
    for (let cut2 = cut; cut2 <= bytes.length; cut2++) {
      const { d } = decoder()
      const got = [
        ...bodies(d.decode(Uint8Array.from(bytes.slice(0, cut)))),
        ...bodies(d.decode(Uint8Array.from(bytes.slice(cut, cut2)))),
        ...bodies(d.decode(Uint8Array.from(bytes.slice(cut2))))
      ]
      if (JSON.stringify(got) !== JSON.stringify([[9, 8, 7, 6], [5, 5], [1]])) t.fail(`cuts ${cut}, ${cut2}: ${JSON.stringify(got)}`)
    }
  }
  t.pass('every pair of cuts')
})

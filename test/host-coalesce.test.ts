/**
 * node/host/coalesce.ts: what one sendData() call of a raw TCP connection is given goes to the socket as ONE buffer
 * (Noise's 2-byte length and its ciphertext were two writes, two segments). Real libp2p traffic over it: node-net.
 */
import t from 'tap'
import { Uint8ArrayList } from 'uint8arraylist'
import type { MultiaddrConnection } from '@libp2p/interface'
import { coalesceWrites } from '../node/host/coalesce.js'

/** The raw connection's own sendData, which writes each chunk it is given with its own socket.write(). */
function fakeConn (): { conn: MultiaddrConnection, writes: Uint8Array[] } {
  const writes: Uint8Array[] = []
  const conn = {
    sendData (data: Uint8ArrayList) {
      for (const chunk of data) writes.push(chunk)
      return { sentBytes: data.byteLength, canSendMore: true }
    }
  }
  return { conn: conn as unknown as MultiaddrConnection, writes }
}

t.test('several chunks: one write with the same bytes, and the same result', async t => {
  const { conn, writes } = fakeConn()
  coalesceWrites(conn)
  const list = new Uint8ArrayList(Uint8Array.of(0, 3), Uint8Array.of(7, 8, 9), Uint8Array.of(10))
  const r = (conn as unknown as { sendData: (d: Uint8ArrayList) => { sentBytes: number, canSendMore: boolean } }).sendData(list)
  t.equal(writes.length, 1, 'one write')
  t.same([...writes[0]], [0, 3, 7, 8, 9, 10], 'the bytes in order')
  t.same(r, { sentBytes: 6, canSendMore: true })
})

t.test('one chunk passes as it is; wrapping twice changes nothing', async t => {
  const { conn, writes } = fakeConn()
  coalesceWrites(conn)
  coalesceWrites(conn)
  const chunk = Uint8Array.of(1, 2, 3)
  ;(conn as unknown as { sendData: (d: Uint8ArrayList) => unknown }).sendData(new Uint8ArrayList(chunk))
  t.equal(writes.length, 1)
  t.equal(writes[0], chunk, 'not copied')
})

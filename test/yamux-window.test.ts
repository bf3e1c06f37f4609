/**
 * patches/@chainsafe+libp2p-yamux: a stream replenishes its receive window once at least half of it is consumed (as
 * go-yamux and rust-yamux do), not after every data frame. Real hosts (TCP, Noise, Yamux) on loopback: chat-sized
 * round trips send no window updates, bulk data still flows at full speed past many windows.
 */
import '../node/polyfill.js'
import t from 'tap'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { YamuxStream } from '@chainsafe/libp2p-yamux/stream'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { Uint8ArrayList } from 'uint8arraylist'

/** Counts the window updates streams actually send (the call raises the capacity only when a frame goes out). */
function countUpdates (): { count: () => number, restore: () => void } {
  const proto = YamuxStream.prototype as unknown as { sendWindowUpdate: (this: { recvWindowCapacity: number }) => void }
  const original = proto.sendWindowUpdate
  let n = 0
  proto.sendWindowUpdate = function (this: { recvWindowCapacity: number }) {
    const before = this.recvWindowCapacity
    original.call(this)
    if (this.recvWindowCapacity > before) n++
  }
  return { count: () => n, restore: () => { proto.sendWindowUpdate = original } }
}

async function pair (t: { teardown: (fn: () => Promise<void>) => void }): Promise<{ dial: (n: number) => Promise<{ send: (b: Uint8Array) => void, read: (n: number) => Promise<Uint8Array>, close: () => Promise<void> }> }> {
  const mk = async (): Promise<Awaited<ReturnType<typeof createLibp2p>>> => await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()]
  })
  const a = await mk(); const b = await mk()
  t.teardown(async () => { await a.stop(); await b.stop() })
  await b.handle('/echo/1', async (stream) => {
    for await (const chunk of stream) { if (!stream.send(chunk)) await stream.onDrain() }
  })
  return {
    dial: async () => {
      const stream = await a.dialProtocol(b.getMultiaddrs()[0], '/echo/1')
      const buf = new Uint8ArrayList()
      const it = stream[Symbol.asyncIterator]()
      return {
        send: (bytes) => { stream.send(bytes) },
        read: async (n) => {
          while (buf.byteLength < n) { const r = await it.next(); if (r.done === true) throw new Error('stream ended'); buf.append(r.value) }
          const out = buf.subarray(0, n); buf.consume(n); return out
        },
        close: async () => { await stream.close() }
      }
    }
  }
}

t.test('chat-sized round trips send only the auto-tuning window updates', async t => {
  const { dial } = await pair(t)
  const s = await dial(0)
  s.send(new Uint8Array(10)); await s.read(10) // opens the stream (its SYN / ACK updates)
  const c = countUpdates()
  t.teardown(c.restore)
  let wrong = 0
  for (let i = 0; i < 300; i++) {
    s.send(new Uint8Array(300).fill(i & 0xff))
    if ((await s.read(300))[0] !== (i & 0xff)) wrong++
  }
  t.equal(wrong, 0, '300 echoes in order')
  // Unpatched yamux: one update per data frame, 600 here (each side, each of 300 frames). 90 KB is under half of the
  // 256 KiB window, so none is due for consumption; what remains are yamux's auto-tuning updates (the window doubles
  // while data keeps coming within 4 RTTs, up to 16 MiB: at most 6 doublings per side).
  t.ok(c.count() <= 12, `${c.count()} window updates for 300 round trips of 300 bytes`)
  await s.close()
})

t.test('bulk data flows through many windows, each replenished at half', async t => {
  const { dial } = await pair(t)
  const s = await dial(0)
  const c = countUpdates()
  t.teardown(c.restore)
  const total = 8 * 1024 * 1024
  const chunk = new Uint8Array(64 * 1024).map((_, i) => i & 0xff)
  const reading = (async () => { let got = 0; while (got < total) { got += (await s.read(Math.min(chunk.length, total - got))).length } return got })()
  for (let sent = 0; sent < total; sent += chunk.length) s.send(chunk)
  t.equal(await reading, total, '8 MiB echoed through a 256 KiB-window stream')
  t.ok(c.count() > 0, `window updates were sent (${c.count()})`)
  t.ok(c.count() < total / (64 * 1024), 'fewer updates than data frames')
  await s.close()
})

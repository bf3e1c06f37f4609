/**
 * A mailbox stream whose frame stalls is aborted after the frame timeout (PROTOCOL.md §8.1): a length prefix cut
 * short, and a body cut short, each close only their own stream; a stream silent between frames stays open (a
 * subscription must), a large frame gets time for its length, and the relay keeps serving. Real libp2p hosts and LevelDB on loopback; the timeout is
 * shortened to 400 ms through the server's init.
 */
import './helpers/mailbox-net.js'
import t from 'tap'
import { lpStream } from '@libp2p/utils'
import { MAILBOX_PROTOCOL } from '../bootstrap/mailbox/index.js'
import { ServerFrame, Request } from '../bootstrap/mailbox/pb/mailbox.js'
import { encodeFrame } from '../protocol/framing/index.js'
import { dbDir, startClient, startHost, tempDir } from './helpers/mailbox-net.js'

const TIMEOUT_MS = 400
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

t.test('a stalled frame aborts its stream after the frame timeout; an idle stream stays open', async t => {
  const dir = tempDir(); t.teardown(dir.cleanup)
  const host = await startHost({ dbPath: dbDir(dir.path), frameTimeoutMs: TIMEOUT_MS })
  t.teardown(async () => { await host.stop() })
  const node = await startClient()
  t.teardown(async () => { await node.stop() })

  const open = async (): Promise<{ stream: Awaited<ReturnType<typeof node.dialProtocol>>, lp: ReturnType<typeof lpStream> }> => {
    const stream = await node.dialProtocol(host.getMultiaddrs(), MAILBOX_PROTOCOL)
    const lp = lpStream(stream)
    t.equal(ServerFrame.decode(await lp.read()).kind, ServerFrame.Kind.CHALLENGE, 'challenge first')
    return { stream, lp }
  }
  const request = Request.encode({ id: 7, type: Request.Type.CHALLENGE })
  const whole = encodeFrame(request)

  const cases: Array<[string, Uint8Array]> = [
    ['an unterminated length prefix', Uint8Array.of(0x80)],
    ['a body cut short', whole.subarray(0, whole.length - 1)]
  ]
  for (const [name, part] of cases) {
    const { stream, lp } = await open()
    const sentAt = Date.now()
    stream.send(part)
    await t.rejects(lp.read({ signal: AbortSignal.timeout(10 * TIMEOUT_MS) }), `${name}: the relay aborts the stream`)
    const took = Date.now() - sentAt
    t.ok(took >= TIMEOUT_MS - 50, `${name}: not before the timeout (${took} ms)`)
    t.ok(took < 5 * TIMEOUT_MS, `${name}: by the relay, well before the reader's own ${10 * TIMEOUT_MS} ms deadline`)
    t.not(stream.status, 'open', `${name}: stream closed`)
  }

  // silent between frames for 3 timeouts, then a request: answered on the same stream
  const { stream, lp } = await open()
  await sleep(3 * TIMEOUT_MS)
  t.equal(stream.status, 'open', 'an idle stream between frames is left open')
  // a frame trickled in two parts, each well within the timeout, is fine
  stream.send(whole.subarray(0, 2))
  await sleep(TIMEOUT_MS / 4)
  stream.send(whole.subarray(2))
  const r = ServerFrame.decode(await lp.read({ signal: AbortSignal.timeout(5000) }))
  t.equal(r.id, 7); t.equal(r.status, 'OK')
  // several frames in a row, each begun after the previous one: the timer restarts per frame
  for (let i = 0; i < 3; i++) {
    await sleep(TIMEOUT_MS / 2)
    await lp.write(Request.encode({ id: 100 + i, type: Request.Type.CHALLENGE }))
    t.equal(ServerFrame.decode(await lp.read({ signal: AbortSignal.timeout(5000) })).id, 100 + i, `request ${i} answered`)
  }

  // a large frame gets time for its length: 8,000 bytes at 16 KiB/s add ~490 ms to the 400 ms
  const big = encodeFrame(Request.encode({
    id: 8, type: Request.Type.DEPOSIT, deposits: [{ queueId: new Uint8Array(16), token: new Uint8Array(32), envelope: new Uint8Array(8000).fill(1) }]
  }))
  stream.send(big.subarray(0, 100))
  await sleep(TIMEOUT_MS + 200)
  t.equal(stream.status, 'open', 'past the base timeout, within the length allowance: still open')
  stream.send(big.subarray(100))
  const refused = ServerFrame.decode(await lp.read({ signal: AbortSignal.timeout(5000) }))
  t.equal(refused.id, 8, 'the large frame was read whole and answered')
  t.not(refused.status, 'OK', 'a deposit to an unknown queue is refused with a status, not a dropped stream')
  await stream.close()
})

/**
 * What the mailbox leaves on disk and what survives (PROTOCOL.md §8.8): restart with queued envelopes, a SIGKILL
 * in the middle of deposits loses nothing acknowledged, the deposit token is stored only as its hash, acked and
 * compacted envelopes leave the files; and garbage frames close only their own stream.
 */
import './helpers/mailbox-net.js'
import t from 'tap'
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { ed25519KeyPair, sha256, systemRng, equal } from '../protocol/crypto/index.js'
import { MailboxClient, MAILBOX_PROTOCOL } from '../bootstrap/mailbox/index.js'
import { ServerFrame, Request } from '../bootstrap/mailbox/pb/mailbox.js'
import { dbDir, newPeerKey, startClient, startHost, tempDir } from './helpers/mailbox-net.js'

function filesUnder (dir: string): string[] {
  const out: string[] = []
  for (const n of readdirSync(dir)) {
    const p = join(dir, n)
    if (statSync(p).isDirectory()) out.push(...filesUnder(p)); else out.push(p)
  }
  return out
}

/** Where `needle` appears in any file under `dir`: raw, lowercase hex or base64. */
function findOnDisk (dir: string, needle: Uint8Array): string[] {
  const forms = [Buffer.from(needle), Buffer.from(Buffer.from(needle).toString('hex')), Buffer.from(Buffer.from(needle).toString('base64'))]
  const hits: string[] = []
  for (const f of filesUnder(dir)) {
    const data = readFileSync(f)
    forms.forEach((form, i) => { if (data.includes(form)) hits.push(`${f} (${['raw', 'hex', 'base64'][i]})`) })
  }
  return hits
}

t.test('restart with envelopes queued loses none', async t => {
  const dir = tempDir(); t.teardown(dir.cleanup)
  const ownerPeerKey = await newPeerKey()
  const ownerKey = ed25519KeyPair(systemRng)
  let host = await startHost({ dbPath: dbDir(dir.path) })
  const owner = await startClient(ownerPeerKey)
  t.teardown(async () => { await owner.stop() })
  let c = new MailboxClient({ libp2p: owner, relay: host.getMultiaddrs(), ownerKey })
  const queues = [await c.createQueue(), await c.createQueue()]
  const sent: Uint8Array[][] = [[], []]
  for (let i = 0; i < 50; i++) {
    const e = systemRng(200 + i)
    sent[i % 2].push(e)
    await c.deposit(queues[i % 2], e)
  }
  const before = await host.services.mailbox.stats()
  await c.close()
  await host.stop()

  host = await startHost({ dbPath: dbDir(dir.path) })
  t.teardown(async () => { await host.stop() })
  t.same(await host.services.mailbox.stats(), before, 'counters survive')
  c = new MailboxClient({ libp2p: owner, relay: host.getMultiaddrs(), ownerKey })
  t.teardown(async () => { await c.close() })
  for (let k = 0; k < 2; k++) {
    const got = await c.fetch(queues[k].queueId, { maxCount: 100 })
    t.equal(got.length, 25)
    t.ok(got.every((e, i) => equal(e.data, sent[k][i])), `queue ${k}: every envelope back, byte for byte, in order`)
  }
  t.equal((await c.deposit(queues[0], Uint8Array.of(1))).id, 25, 'sequence numbers continue after restart')
})

t.test('SIGKILL during deposits loses nothing acknowledged', async t => {
  const dir = tempDir(); t.teardown(dir.cleanup)
  const child = spawn(process.execPath, ['--import=tsx', 'test/helpers/mailbox-host-child.ts', dbDir(dir.path)], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { child.kill('SIGKILL') })
  const line = await new Promise<string>((resolve) => { createInterface({ input: child.stdout }).once('line', resolve) })
  const addrs = (JSON.parse(line) as { addrs: string[] }).addrs.map(a => multiaddr(a))
  const ownerPeerKey = await newPeerKey()
  const ownerKey = ed25519KeyPair(systemRng)
  const owner = await startClient(ownerPeerKey)
  t.teardown(async () => { await owner.stop() })
  const c = new MailboxClient({ libp2p: owner, relay: addrs, ownerKey, timeoutMs: 3000 })
  const q = await c.createQueue()
  const acked = new Map<number, Uint8Array>()
  let stop = false
  const writers = Array.from({ length: 4 }, async () => {
    while (!stop) {
      const e = systemRng(300)
      try { acked.set((await c.deposit(q, e)).id, e) } catch { return }
    }
  })
  // kill the relay mid-stream, once some deposits are acknowledged and more are in flight
  const deadline = Date.now() + 15_000
  while (acked.size < 50 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 10))
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited // the LevelDB lock is released only when the process is gone
  stop = true
  await Promise.all(writers)
  await c.close()
  t.ok(acked.size >= 50, `${acked.size} deposits acknowledged before the kill`)

  const host = await startHost({ dbPath: dbDir(dir.path) })
  t.teardown(async () => { await host.stop() })
  const c2 = new MailboxClient({ libp2p: owner, relay: host.getMultiaddrs(), ownerKey })
  t.teardown(async () => { await c2.close() })
  const stored = new Map<number, Uint8Array>()
  for (const e of await c2.fetch(q.queueId, { maxCount: 1000, maxBytes: 1 << 20 })) stored.set(e.id, e.data)
  let missing = 0
  for (const [id, e] of acked) if (!(stored.has(id) && equal(stored.get(id)!, e))) missing++
  t.equal(missing, 0, 'every acknowledged envelope is there after the crash')
  const st = await host.services.mailbox.stats()
  t.equal(st.envelopes, stored.size, 'counters match the envelopes after the crash')
})

t.test('on disk: the token only as its hash; envelopes exactly as sent; acked + compacted envelopes are gone', async t => {
  const dir = tempDir(); t.teardown(dir.cleanup)
  const dbPath = dbDir(dir.path)
  let host = await startHost({ dbPath })
  const node = await startClient()
  t.teardown(async () => { await node.stop() })
  let c = new MailboxClient({ libp2p: node, relay: host.getMultiaddrs(), ownerKey: ed25519KeyPair(systemRng) })
  const q = await c.createQueue()
  const marker = new TextEncoder().encode('TERN-MARKER-' + Buffer.from(systemRng(16)).toString('hex'))
  const kept = new TextEncoder().encode('TERN-KEPT-' + Buffer.from(systemRng(16)).toString('hex'))
  await c.deposit(q, marker)
  await c.deposit(q, kept)
  await c.close()
  await host.stop()
  t.same(findOnDisk(dir.path, q.token), [], 'the deposit token never appears in clear (raw, hex, base64)')
  t.ok(findOnDisk(dir.path, sha256(q.token)).length > 0, 'its SHA-256 does (the search works)')
  t.ok(findOnDisk(dir.path, marker).length > 0, 'an envelope is stored as the exact bytes deposited')

  host = await startHost({ dbPath })
  c = new MailboxClient({ libp2p: node, relay: host.getMultiaddrs(), ownerKey: (c as unknown as { init: { ownerKey: { secretKey: Uint8Array, publicKey: Uint8Array } } }).init.ownerKey })
  const got = await c.fetch(q.queueId)
  await c.ack(q.queueId, [got[0].id])
  await host.services.mailbox.storeForTesting.compact()
  await c.close()
  await host.stop()
  t.same(findOnDisk(dir.path, marker), [], 'an acked envelope is gone from every file after compaction')
  t.ok(findOnDisk(dir.path, kept).length > 0, 'the unacked one is still there')
})

t.test('garbage frames close their stream; the node keeps serving', async t => {
  const dir = tempDir(); t.teardown(dir.cleanup)
  const host = await startHost({ dbPath: dbDir(dir.path) })
  t.teardown(async () => { await host.stop() })
  const node = await startClient()
  t.teardown(async () => { await node.stop() })
  const garbage: Array<[string, Uint8Array[]]> = [
    ['length prefix over the frame limit', [Uint8Array.of(0xff, 0xff, 0xff, 0x7f)]],
    ['undecodable protobuf', [Uint8Array.of(4, 0xff, 0xff, 0xff, 0xff)]],
    ['unknown request type', [Uint8Array.of(2), Uint8Array.of(0x10, 0x63)]],
    ['a 12-byte varint length', [new Uint8Array(12).fill(0x80)]]
  ]
  for (const [name, chunks] of garbage) {
    const stream = await node.dialProtocol(host.getMultiaddrs(), MAILBOX_PROTOCOL)
    const lp = lpStream(stream)
    const first = ServerFrame.decode(await lp.read())
    t.equal(first.kind, ServerFrame.Kind.CHALLENGE)
    for (const ch of chunks) stream.send(ch)
    await t.rejects(lp.read({ signal: AbortSignal.timeout(5000) }), `${name}: the stream is closed with an error, no reply`)
    t.not(stream.status, 'open', `${name}: stream not open`)
  }
  // a good request on a fresh stream of the same connection still works
  const stream = await node.dialProtocol(host.getMultiaddrs(), MAILBOX_PROTOCOL)
  const lp = lpStream(stream)
  await lp.read()
  await lp.write(Request.encode({ id: 9, type: Request.Type.CHALLENGE }))
  const r = ServerFrame.decode(await lp.read())
  t.equal(r.id, 9); t.equal(r.status, 'OK'); t.equal(r.challenge.length, 32)
  await stream.close()
  const c = new MailboxClient({ libp2p: node, relay: host.getMultiaddrs(), ownerKey: ed25519KeyPair(systemRng) })
  t.teardown(async () => { await c.close() })
  t.equal((await c.createQueue()).queueId.length, 16, 'the node still serves')
})

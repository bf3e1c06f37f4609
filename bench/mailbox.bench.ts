/**
 * Relay mailbox figures (PROTOCOL.md §8):
 *  (a) deposit + fetch + ack of 1 KiB envelopes over 100 queues on one connection, batches of 100, pipelined
 *      (target >= 20,000 msg/s);
 *  (b) cold start with N stored 1 KiB envelopes (default 1,000,000; TERN_BENCH_MAILBOX_N): a fresh process starts
 *      a host on the db and fetches one envelope (target <= 5 s). The db is populated through the store directly.
 * TERN_BENCH_MAILBOX_TP_N sets the message count of (a) (default 200,000).
 */
import '../node/polyfill.js'
import { spawn } from 'node:child_process'
import os from 'node:os'
import { createInterface } from 'node:readline'
import { privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { ed25519KeyPair, systemRng } from '../protocol/crypto/index.js'
import { MailboxClient, type QueueCapability } from '../bootstrap/mailbox/index.js'
import { MailboxStore } from '../bootstrap/mailbox/store.js'
import { resolveLimits } from '../bootstrap/mailbox/limits.js'
import { dbDir, newPeerKey, startClient, startHost, tempDir } from '../test/helpers/mailbox-net.js'
import type { Reporter } from './reporter.js'

const QUEUES = 100
const BATCH = 100
const WINDOW = 16

/** Runs `tasks` with at most `window` in flight. */
async function pipelined<T> (n: number, window: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(window, n) }, async () => {
    while (next < n) { const i = next++; out[i] = await task(i) }
  }))
  return out
}

async function throughput (r: Reporter): Promise<void> {
  const total = Number(process.env.TERN_BENCH_MAILBOX_TP_N ?? 200_000)
  const dir = tempDir()
  const host = await startHost({ dbPath: dbDir(dir.path), limits: { ownerMaxQueues: QUEUES } })
  const node = await startClient()
  const c = new MailboxClient({ libp2p: node, relay: host.getMultiaddrs(), ownerKey: ed25519KeyPair(systemRng), timeoutMs: 60_000 })
  try {
    const caps: QueueCapability[] = await pipelined(QUEUES, WINDOW, async () => await c.createQueue())
    const envelope = systemRng(1024)
    const rounds = Math.max(1, Math.round(total / (QUEUES * BATCH)))
    let moved = 0
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    for (let round = 0; round < rounds; round++) {
      await pipelined(QUEUES, WINDOW, async (q) => await c.depositBatch(Array.from({ length: BATCH }, () => ({ ...caps[q], envelope }))))
      await pipelined(QUEUES, WINDOW, async (q) => {
        const got = await c.fetch(caps[q].queueId, { maxCount: BATCH })
        await c.ack(caps[q].queueId, got.map(e => e.id))
        moved += got.length
      })
    }
    const secs = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0)
    const cpuUsPerMsg = (cpu.user + cpu.system) / moved
    const st = await host.services.mailbox.stats()
    if (st.envelopes !== 0 || moved !== rounds * QUEUES * BATCH) throw new Error(`bench lost envelopes: ${moved}, ${JSON.stringify(st)}`)
    r.add({ name: 'mailbox deposit+fetch+ack 1KiB, 100 queues', value: moved / secs, unit: 'msg/s', note: `target >= 20,000; ${moved} msgs, batches of ${BATCH}, ${WINDOW} requests in flight, one connection; relay and client in this process` })
    r.add({ name: 'mailbox deposit+fetch+ack CPU per message (both sides)', value: cpuUsPerMsg, unit: 'us/msg', note: `process CPU (all threads) / messages; ${Math.round(1e6 / cpuUsPerMsg).toLocaleString('en-US')} msg/s per fully used core; load average ${os.loadavg()[0].toFixed(1)} during the run` })
  } finally {
    await c.close(); await node.stop(); await host.stop(); dir.cleanup()
  }
}

async function coldStart (r: Reporter): Promise<void> {
  const n = Number(process.env.TERN_BENCH_MAILBOX_N ?? 1_000_000)
  const dir = tempDir()
  const dbPath = dbDir(dir.path)
  try {
    const peerKey = await newPeerKey()
    const ownerKey = ed25519KeyPair(systemRng)
    const store = new MailboxStore({ dbPath, limits: resolveLimits({ ownerMaxQueues: QUEUES }) })
    await store.open()
    const t0 = performance.now()
    const queues: Uint8Array[] = []
    for (let i = 0; i < QUEUES; i++) {
      const q = await store.createQueue((await import('@libp2p/peer-id')).peerIdFromPrivateKey(peerKey).toString(), ownerKey.publicKey, Date.now(), false)
      queues.push(q.queueId!)
    }
    const chunk = 1000
    const envs = Array.from({ length: chunk }, () => systemRng(1024))
    for (let done = 0, i = 0; done < n; i++) {
      const k = Math.min(chunk, n - done)
      await store.bulkLoad(queues[i % QUEUES], envs.slice(0, k), Date.now())
      done += k
    }
    const populateMs = performance.now() - t0
    const stats = store.stats()
    await store.close()
    r.add({ name: `mailbox populate ${n.toLocaleString('en-US')} x 1KiB (store batches of ${chunk})`, value: populateMs / 1000, unit: 's', note: `${Math.round(n / (populateMs / 1000)).toLocaleString('en-US')} envelopes/s; ${stats.queues} queues` })

    const spawnedAt = performance.now()
    const child = spawn(process.execPath, ['--import=tsx', 'test/helpers/mailbox-coldstart-child.ts', dbPath,
      Buffer.from(privateKeyToProtobuf(peerKey)).toString('hex'), Buffer.from(ownerKey.secretKey).toString('hex'),
      Buffer.from(queues[0]).toString('hex')], { stdio: ['ignore', 'pipe', 'inherit'] })
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve)
      child.once('exit', (code) => { reject(new Error(`cold-start child exited ${code}`)) })
    })
    const wall = performance.now() - spawnedAt
    await new Promise(resolve => child.once('exit', resolve))
    const res = JSON.parse(line) as { modulesLoaded: number, hostUp: number, firstFetched: number, got: number, stats: { envelopes: number } }
    if (res.got !== 1 || res.stats.envelopes !== n) throw new Error(`cold start fetched ${res.got}, stats ${JSON.stringify(res.stats)}`)
    r.add({ name: `mailbox cold start to first fetch, ${n.toLocaleString('en-US')} stored`, value: res.firstFetched, unit: 'ms', note: `target <= 5,000; from the child's process start: modules (tsx) loaded at ${Math.round(res.modulesLoaded)} ms, host + store open at ${Math.round(res.hostUp)} ms; spawn-to-result ${Math.round(wall)} ms` })
  } finally {
    dir.cleanup()
  }
}

export default async function (r: Reporter): Promise<void> {
  await throughput(r)
  await coldStart(r)
}

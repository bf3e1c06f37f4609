/**
 * How many reserved peers one relay process holds, and at what memory cost (PROTOCOL.md §9).
 *
 * A `tern relay` runs as its own process; worker processes (TERN_BENCH_WORKERS, default 2) (this same file, run with TERN_BENCH_WORKER=1)
 * each host many lightweight libp2p nodes (TCP + Noise + Yamux + circuit relay transport, and identify which that transport requires, no
 * connection monitor) that each hold a reservation on the relay. The ramp goes to 1k, 2k, 5k and 10k peers (top step:
 * TERN_BENCH_MAX_PEERS) and reports the relay's RSS per peer at each step: (RSS − baseline RSS) / peers.
 * The whole run is bounded by TERN_BENCH_BUDGET_S (default 420 s); the figure says what was reached and why it stopped.
 */
import '../node/polyfill.js'
import { fork, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Reporter } from './reporter.js'

/** Peers at each step of the ramp (capped by TERN_BENCH_MAX_PEERS). */
const STEPS = [1000, 2000, 5000, 10_000]
/** Concurrent reservations in flight per worker: more only adds handshake timeouts on a 2-core machine. */
const WORKER_CONCURRENCY = Number(process.env.TERN_BENCH_CONCURRENCY ?? 8)

type ToWorker = { cmd: 'grow', relay: string, total: number } | { cmd: 'stop' }
type FromWorker =
  | { type: 'progress', ok: number, failed: number, errors: Record<string, number> }
  | { type: 'stopped' }

// ---------------------------------------------------------------------------------------------------------------
// worker: many lightweight load clients in one process

async function runWorker (): Promise<void> {
  const { noise } = await import('@chainsafe/libp2p-noise')
  const { yamux } = await import('@chainsafe/libp2p-yamux')
  const { circuitRelayTransport } = await import('@libp2p/circuit-relay-v2')
  const { tcp } = await import('@libp2p/tcp')
  const { identify } = await import('@libp2p/identify')
  const { createLibp2p } = await import('libp2p')
  type Node = Awaited<ReturnType<typeof createLibp2p>>
  const nodes: Node[] = []
  let failed = 0
  const errors: Record<string, number> = {}
  let target = 0
  let growing: Promise<void> | undefined
  const send = (m: FromWorker): void => { process.send?.(m) }

  const one = async (relay: string): Promise<void> => {
    try {
      const node = await createLibp2p({
        addresses: { listen: [`${relay}/p2p-circuit`] },
        transports: [tcp(), circuitRelayTransport({ reservationCompletionTimeout: 60_000 })],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        connectionMonitor: { enabled: false },
        connectionManager: { dialTimeout: 60_000 },
        // the circuit relay transport requires identify
        services: { identify: identify() }
      })
      if (!node.getMultiaddrs().some(a => a.toString().includes('/p2p-circuit'))) {
        await node.stop()
        throw new Error('no reservation')
      }
      nodes.push(node)
    } catch (err) {
      failed++
      const key = `${(err as Error).name}: ${String((err as Error).message).slice(0, 80)}`
      errors[key] = (errors[key] ?? 0) + 1
    }
  }

  const grow = async (relay: string): Promise<void> => {
    let inflight = 0
    const lanes = Array.from({ length: WORKER_CONCURRENCY }, async () => {
      // failures are retried: the driver gives up when they pile up
      while (nodes.length + inflight < target) {
        inflight++
        try { await one(relay) } finally { inflight-- }
      }
    })
    const timer = setInterval(() => { send({ type: 'progress', ok: nodes.length, failed, errors }) }, 500)
    await Promise.all(lanes)
    clearInterval(timer)
    send({ type: 'progress', ok: nodes.length, failed, errors })
  }

  process.on('message', (m: ToWorker) => {
    if (m.cmd === 'grow') {
      target = m.total
      growing = (growing ?? Promise.resolve()).then(async () => { await grow(m.relay) })
    } else if (m.cmd === 'stop') {
      target = 0
      void (async () => {
        await growing?.catch(() => {})
        await Promise.all(nodes.map(async n => { try { await n.stop() } catch {} }))
        send({ type: 'stopped' })
        process.exit(0)
      })()
    }
  })
  process.on('disconnect', () => { process.exit(0) })
  send({ type: 'progress', ok: 0, failed: 0, errors: {} })
}

// ---------------------------------------------------------------------------------------------------------------
// driver

function rssKiB (pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m === null ? NaN : Number(m[1])
}

/** user + system CPU time of a process, in ms (Linux /proc; clock ticks assumed 100/s). */
function cpuMs (pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ')
  return (Number(rest[11]) + Number(rest[12])) * 10
}

async function scrape (url: string): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  try {
    const text = await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text()
    for (const line of text.split('\n')) {
      if (line.startsWith('#') || line === '') continue
      const i = line.lastIndexOf(' ')
      out.set(line.slice(0, i), Number(line.slice(i + 1)))
    }
  } catch {}
  return out
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

export default async function relayPeersBench (r: Reporter): Promise<void> {
  const maxPeers = Number(process.env.TERN_BENCH_MAX_PEERS ?? 10_000)
  const budgetMs = Number(process.env.TERN_BENCH_BUDGET_S ?? 420) * 1000
  const steps = [...STEPS.filter(s => s < maxPeers), maxPeers]
  // two workers ramped faster than four on the 2-core reference machine (less contention with the relay)
  const workerCount = Number(process.env.TERN_BENCH_WORKERS ?? 2)
  const started = Date.now()

  const { spawnRelay } = await import('../test/helpers/relay-process.js')
  const dir = mkdtempSync(join(tmpdir(), 'tern-bench-relay-'))
  const configPath = join(dir, 'relay.json')
  writeFileSync(configPath, JSON.stringify({
    allowPrivateAddresses: true,
    // every load client comes from 127.0.0.1
    connections: { inboundConnectionThreshold: 1_000_000, maxConnections: maxPeers + 2000 },
    relay: { maxReservations: Math.max(maxPeers + 100, 15_000) }
  }))
  const relay = await spawnRelay({
    dataDir: join(dir, 'data'),
    args: ['--config', configPath, '--metrics', '127.0.0.1:0'],
    nodeArgs: ['--max-old-space-size=4096', ...(process.env.TERN_BENCH_RELAY_NODE_ARGS ?? '').split(' ').filter(a => a !== '')]
  })
  const startedLog = await relay.waitForLog(o => o.msg === 'started').catch(() => undefined)
  const metricsUrl = startedLog !== undefined ? `http://${String(startedLog.metrics)}/metrics` : ''
  const relayAddr = relay.addrs[0]
  const workers: ChildProcess[] = []
  const state = new Map<ChildProcess, { ok: number, failed: number, errors: Record<string, number> }>()
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8').match(/Max open files\s+(\S+)\s+(\S+)/)
    r.log(`open-file limit soft ${limits?.[1] ?? '?'} hard ${limits?.[2] ?? '?'}; ${workerCount} worker processes; steps ${steps.join(', ')}`)
    await sleep(1500)
    const baseline = rssKiB(relay.pid)
    const heapBaseline = (await scrape(metricsUrl)).get('nodejs_heap_size_used_bytes') ?? NaN
    r.add({ name: 'relay RSS at start (no peers)', value: baseline / 1024, unit: 'MiB' })

    const here = fileURLToPath(import.meta.url)
    for (let i = 0; i < workerCount; i++) {
      const w = fork(here, [], {
        execArgv: ['--import=tsx', '--max-old-space-size=4096'],
        env: { ...process.env, TERN_BENCH_WORKER: '1' },
        stdio: ['ignore', 'ignore', 'ignore', 'ipc']
      })
      state.set(w, { ok: 0, failed: 0, errors: {} })
      w.on('message', (m: FromWorker) => { if (m.type === 'progress') state.set(w, { ok: m.ok, failed: m.failed, errors: m.errors }) })
      workers.push(w)
    }
    const totals = (): { ok: number, failed: number, errors: Record<string, number> } => {
      let ok = 0; let failed = 0; const errors: Record<string, number> = {}
      for (const s of state.values()) {
        ok += s.ok; failed += s.failed
        for (const [k, v] of Object.entries(s.errors)) errors[k] = (errors[k] ?? 0) + v
      }
      return { ok, failed, errors }
    }

    let reached = 0
    let stopReason = 'none: every step reached'
    for (const step of steps) {
      const stepStart = Date.now()
      const cpuStart = cpuMs(relay.pid)
      const okStart = totals().ok
      // each worker grows to its share of the step
      workers.forEach((w, i) => {
        const share = Math.floor(step / workerCount) + (i < step % workerCount ? 1 : 0)
        w.send({ cmd: 'grow', relay: relayAddr, total: share } satisfies ToWorker)
      })
      let lastOk = -1; let lastChange = Date.now()
      for (;;) {
        await sleep(500)
        const tt = totals()
        if (tt.ok !== lastOk) { lastOk = tt.ok; lastChange = Date.now() }
        if (tt.ok >= step) break
        if (Date.now() - started > budgetMs) { stopReason = `time budget (${budgetMs / 1000} s) at ${tt.ok} peers`; break }
        if (Date.now() - lastChange > 30_000) { stopReason = `no progress for 30 s at ${tt.ok} peers`; break }
        if (relay.proc.exitCode !== null) { stopReason = `relay exited (${String(relay.proc.exitCode)})`; break }
        // keep failures bounded: past 5 % of the step, stop
        if (tt.failed > Math.max(50, step * 0.05)) { stopReason = `${tt.failed} failed reservations: ${JSON.stringify(tt.errors)}`; break }
      }
      const tt = totals()
      if (relay.proc.exitCode !== null) break
      const cpuPerPeer = (cpuMs(relay.pid) - cpuStart) / Math.max(1, tt.ok - okStart)
      const secs = (Date.now() - stepStart) / 1000
      // the event-loop lag histogram restarts at each scrape: scrape once, then measure a quiet 3 s
      await scrape(metricsUrl)
      await sleep(3000)
      const m = await scrape(metricsUrl)
      const reservations = m.get('tern_relay_reservations') ?? NaN
      const lagP99 = (m.get('nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1000
      const rss = rssKiB(relay.pid)
      const peers = Number.isFinite(reservations) ? reservations : tt.ok
      const perPeer = (rss - baseline) / Math.max(1, peers)
      const heapPerPeer = ((m.get('nodejs_heap_size_used_bytes') ?? NaN) - heapBaseline) / 1000 / Math.max(1, peers)
      r.add({
        name: `relay RSS per reserved peer @ ${peers.toLocaleString('en-US')} peers`,
        value: perPeer * 1.024,
        unit: 'KB/peer',
        note: `target ≤ 150; RSS ${(rss / 1024).toFixed(0)} MiB; JS heap used ${heapPerPeer.toFixed(0)} KB/peer; idle event-loop lag p99 ${lagP99.toFixed(1)} ms; ramp ${secs.toFixed(0)} s, relay CPU ${cpuPerPeer.toFixed(1)} ms per new peer; client failures ${tt.failed}`
      })
      reached = peers
      if (tt.ok < step) break
    }
    if (stopReason === 'none: every step reached' && reached < maxPeers) stopReason = `ended at ${reached}`
    const tt = totals()
    if (tt.failed > 0) r.log(`client failures: ${JSON.stringify(tt.errors)}`)
    r.add({ name: 'relay reserved peers reached', value: reached, unit: 'peers', note: `target ${maxPeers}; stopped by: ${stopReason}` })
  } finally {
    await Promise.all(workers.map(async w => {
      if (w.exitCode !== null) return
      const done = new Promise<void>(resolve => { w.once('exit', () => resolve()) })
      try { w.send({ cmd: 'stop' } satisfies ToWorker) } catch {}
      const t = setTimeout(() => { w.kill('SIGKILL') }, 30_000)
      await done
      clearTimeout(t)
    }))
    await relay.stop('SIGTERM', 30_000)
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.env.TERN_BENCH_WORKER === '1') await runWorker()

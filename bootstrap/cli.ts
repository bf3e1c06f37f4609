/**
 * `tern relay`: runs the relay daemon in the foreground (systemd, docker, a terminal). Stdout carries the listening
 * line first (`{"msg":"listening","addrs":[...]}`), then JSON logs. SIGTERM/SIGINT stop cleanly with exit 0;
 * SIGHUP re-reads the config file and applies the limits it can at runtime (docs/deploy-relay.md).
 */
import { readFileSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import { VERSION } from '../cli/version.js'
import { ConfigError, parseHostPort, readConfigFile, resolveConfig, type RelayConfig, type RelayFlags } from './config.js'
import { loadOrCreateIdentity } from './identity-file.js'
import { createRelayLogger, writeListeningLine, type Logger } from './log.js'
import { createRelayMetrics, serveMetrics } from './metrics.js'
import { createRelay } from './relay.js'

/** Stop must finish within this many ms, or the process exits 1 (PROTOCOL.md §9). */
export const STOP_TIMEOUT_MS = 10_000
/** Below this open-file limit the relay warns: every peer holds one socket. */
export const MIN_NOFILE = 16_384

async function loadConfig (flags: RelayFlags): Promise<RelayConfig> {
  const file = flags.config !== undefined ? await readConfigFile(flags.config) : undefined
  return resolveConfig(file, flags)
}

export async function runRelayCommand (flags: RelayFlags): Promise<void> {
  let cfg: RelayConfig
  try {
    cfg = await loadConfig(flags)
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tern relay: ${err.message}\n`)
      process.exit(2)
    }
    throw err
  }
  if (flags.printAddress === true) {
    await printAddress(cfg)
    return
  }
  await runDaemon(cfg, flags)
}

/** Prints the relay's full multiaddrs, one a line, and exits; it listens only for as long as it takes to read them. */
async function printAddress (cfg: RelayConfig): Promise<void> {
  const { privateKey } = await loadOrCreateIdentity(cfg.dataDir)
  let addrs: string[]
  try {
    // a bare node (no services, no mailbox database): listen, read the addresses, stop
    const { createLibp2p } = await import('libp2p')
    const { tcp } = await import('@libp2p/tcp')
    const { noise } = await import('@chainsafe/libp2p-noise')
    const { yamux } = await import('@chainsafe/libp2p-yamux')
    const node = await createLibp2p({
      privateKey,
      addresses: { listen: cfg.listen, announce: cfg.announce },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()]
    })
    const id = node.peerId.toString()
    addrs = node.getMultiaddrs().map(a => a.toString()).map(a => a.includes('/p2p/') ? a : `${a}/p2p/${id}`)
    await node.stop()
  } catch {
    // the port is taken, most likely by the running relay itself: derive the addresses from the config
    const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
    addrs = configuredAddrs(cfg, peerIdFromPrivateKey(privateKey).toString())
  }
  process.stdout.write(addrs.join('\n') + '\n')
  process.exit(0)
}

/** Announce addresses if any, else listen addresses with 0.0.0.0 / :: expanded to this host's interfaces. */
export function configuredAddrs (cfg: RelayConfig, peerId: string): string[] {
  const base = cfg.announce.length > 0 ? cfg.announce : cfg.listen
  const out: string[] = []
  for (const a of base) {
    const m = /^\/(ip4|ip6)\/(0\.0\.0\.0|::)(\/.*)$/.exec(a)
    if (m === null) { out.push(a); continue }
    for (const list of Object.values(networkInterfaces())) {
      for (const i of list ?? []) {
        if ((m[1] === 'ip4') === (i.family === 'IPv4')) out.push(`/${m[1]}/${i.address}${m[3]}`)
      }
    }
  }
  return out.map(a => a.includes('/p2p/') ? a : `${a}/p2p/${peerId}`)
}

async function runDaemon (cfg: RelayConfig, flags: RelayFlags): Promise<void> {
  const log = createRelayLogger(cfg.logLevel)
  const metrics = createRelayMetrics(VERSION)
  let metricsServer: Awaited<ReturnType<typeof serveMetrics>> | undefined
  if (cfg.metrics !== undefined) {
    const { host, port } = parseHostPort(cfg.metrics)
    metricsServer = await serveMetrics(metrics.registry, host, port)
  }
  const relay = await createRelay({ config: cfg, onMailboxEvent: metrics.onMailboxEvent })
  metrics.attach(relay)
  writeListeningLine(relay.addrs())
  log.info({
    peerId: relay.peerId.toString(),
    version: VERSION,
    dataDir: cfg.dataDir,
    mailbox: relay.hasMailbox,
    relayLimits: cfg.relay,
    connections: cfg.connections,
    metrics: metricsServer !== undefined ? `${parseHostPort(cfg.metrics ?? '').host}:${metricsServer.port}` : null
  }, 'started')
  if (relay.identity.created) log.info({ peerId: relay.peerId.toString(), path: relay.identity.path }, 'identity created')
  const nofile = softNofileLimit()
  if (nofile !== undefined && nofile < MIN_NOFILE) {
    log.warn({ nofile, recommended: MIN_NOFILE }, 'open-file limit is low: each peer holds a socket (raise LimitNOFILE / ulimit -n)')
  }

  relay.libp2p.addEventListener('peer:connect', (e) => { log.debug({ peer: e.detail.toString() }, 'peer connected') })
  relay.libp2p.addEventListener('peer:disconnect', (e) => { log.debug({ peer: e.detail.toString() }, 'peer disconnected') })
  process.on('unhandledRejection', (err) => {
    log.warn({ err: { name: (err as Error)?.name, code: (err as { code?: string })?.code } }, 'unhandled rejection')
  })

  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'stopping')
    const timer = setTimeout(() => { log.error({ timeoutMs: STOP_TIMEOUT_MS }, 'stop timed out'); process.exit(1) }, STOP_TIMEOUT_MS)
    timer.unref()
    Promise.all([relay.stop(), metricsServer?.close()]).then(() => {
      log.info({}, 'stopped')
      process.exit(0)
    }, (err: Error) => {
      log.error({ err: { name: err.name, message: err.message } }, 'stop failed')
      process.exit(1)
    })
  }
  process.on('SIGTERM', () => { stop('SIGTERM') })
  process.on('SIGINT', () => { stop('SIGINT') })
  process.on('SIGHUP', () => {
    if (flags.config === undefined) {
      log.warn({}, 'SIGHUP: no --config file to reload')
      metrics.onReload(false)
      return
    }
    loadConfig(flags).then(async (next) => {
      const result = await relay.reload(next)
      log.level = next.logLevel
      metrics.onReload(true)
      log.info({ config: flags.config, ...result, relayLimits: next.relay }, 'reloaded')
    }).catch((err: Error) => {
      metrics.onReload(false)
      log.error({ config: flags.config, err: { name: err.name, message: err.message } }, 'reload failed; keeping the running config')
    })
  })
}

/** The soft RLIMIT_NOFILE of this process (Linux /proc), or undefined elsewhere. */
function softNofileLimit (): number | undefined {
  try {
    const m = /Max open files\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'utf8'))
    if (m === null) return undefined
    return m[1] === 'unlimited' ? Infinity : Number(m[1])
  } catch {
    return undefined
  }
}

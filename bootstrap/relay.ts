/**
 * The relay daemon as a library: `createRelay(init)` builds and starts the libp2p node that Tern nodes point at
 * (PROTOCOL.md §9): identify, ping, kad-dht server on /tern/kad/1.0.0, AutoNAT server, circuit relay v2 server with
 * chat-sized limits, and the offline mailbox (/tern/mailbox/1.0.0, bootstrap/mailbox/).
 * Owns: libp2p options for the relay, runtime reload of limits. Must not know: the CLI, logging destinations, HTTP.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { autoNAT } from '@libp2p/autonat'
import { circuitRelayServer, RELAY_V2_HOP_CODEC, RELAY_V2_STOP_CODEC, type CircuitRelayService } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper, removePrivateAddressesMapper } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2p } from 'libp2p'
import { join } from 'node:path'
import { noiseCrypto } from '../protocol/crypto/noise.js'
import { withCoalescedWrites } from '../node/host/coalesce.js'
import type { PeerId } from '@libp2p/interface'
import { TERN_KAD_PROTOCOL, type RelayConfig, type RelayLimits } from './config.js'
import { loadOrCreateIdentity } from './identity-file.js'
import { defaultMailboxLimits, mailboxServer, type MailboxEvent, type MailboxLimits, type MailboxService, type MailboxStats } from './mailbox-link.js'

export { RELAY_V2_HOP_CODEC, RELAY_V2_STOP_CODEC }

/** Directory of the mailbox LevelDB inside the data directory. */
export const MAILBOX_DB_DIR = 'mailbox'

export interface RelayInit {
  config: RelayConfig
  /** mailbox events (deposits, fetches, refusals) for metrics */
  onMailboxEvent?: (e: MailboxEvent) => void
  /** leave the mailbox service out even when bootstrap/mailbox/ exists */
  noMailbox?: boolean
}

/** What `reload` managed to apply at runtime and what needs a restart. */
export interface ReloadResult {
  applied: string[]
  needsRestart: string[]
}

export interface Relay {
  libp2p: Libp2p
  peerId: PeerId
  /** the identity key file, and whether this start created it */
  identity: { path: string, created: boolean }
  /** true when the mailbox service runs */
  hasMailbox: boolean
  /** full listen multiaddrs, each ending in /p2p/<PeerId> */
  addrs: () => string[]
  /** current reservations */
  reservations: () => number
  /** relayed connections open right now (outbound stop streams) */
  relayedConnections: () => number
  mailboxStats: () => Promise<MailboxStats | undefined>
  /** applies the limits of a new config (SIGHUP) */
  reload: (next: RelayConfig) => Promise<ReloadResult>
  stop: () => Promise<void>
}

/** The structural subset of libp2p internals reload uses; checked before every use. */
interface ReservationStoreFields {
  maxReservations: number
  reservationTtl: number
  applyDefaultLimit: boolean
  defaultDurationLimit: number
  defaultDataLimit: bigint
}
interface InternalHandles {
  connectionManager?: { setMaxConnections?: (n: number) => void }
}

export async function createRelay (init: RelayInit): Promise<Relay> {
  const cfg = init.config
  const identity = await loadOrCreateIdentity(cfg.dataDir)
  const withMailbox = init.noMailbox !== true
  const handles: InternalHandles = {}

  const services: Record<string, (components: any) => unknown> = {
    identify: identify(),
    ping: ping(),
    dht: kadDHT({
      protocol: TERN_KAD_PROTOCOL,
      clientMode: false,
      peerInfoMapper: cfg.allowPrivateAddresses ? passthroughMapper : removePrivateAddressesMapper,
      initialQuerySelfInterval: 0
    }),
    autonat: autoNAT(),
    relay: circuitRelayServer(relayServerInit(cfg.relay)),
    // keeps a handle on the connection manager for runtime reload (setMaxConnections is part of its interface)
    internals: (components: { connectionManager: InternalHandles['connectionManager'] }) => {
      handles.connectionManager = components.connectionManager
      linearGetConnections(components.connectionManager)
      return {}
    }
  }
  if (withMailbox) {
    services.mailbox = mailboxServer({
      dbPath: join(cfg.dataDir, MAILBOX_DB_DIR),
      limits: mailboxLimits(cfg),
      allowOwners: cfg.mailboxOwners,
      onEvent: init.onMailboxEvent
    })
  }

  const libp2p = await createLibp2p({
    privateKey: identity.privateKey,
    addresses: { listen: cfg.listen, announce: cfg.announce },
    // the node's transport economies (node/host/coalesce.ts, protocol/crypto/noise.ts): a relayed chat message
    // crosses two connections here
    transports: [withCoalescedWrites(tcp())],
    connectionEncrypters: [noise({ crypto: noiseCrypto })],
    streamMuxers: [yamux()],
    connectionManager: {
      maxConnections: cfg.connections.maxConnections,
      inboundConnectionThreshold: cfg.connections.inboundConnectionThreshold,
      maxIncomingPendingConnections: cfg.connections.maxIncomingPendingConnections
    },
    connectionMonitor: { enabled: cfg.connections.connectionMonitor },
    services
  })

  const relayService = (libp2p.services as Record<string, unknown>).relay as CircuitRelayService
  const mailbox = (libp2p.services as Record<string, unknown>).mailbox as MailboxService | undefined

  const addrs = (): string[] => {
    const id = libp2p.peerId.toString()
    return libp2p.getMultiaddrs().map(a => {
      const s = a.toString()
      return s.includes('/p2p/') ? s : `${s}/p2p/${id}`
    })
  }

  const relayedConnections = (): number => {
    let n = 0
    for (const conn of libp2p.getConnections()) {
      for (const s of conn.streams) {
        if (s.protocol === RELAY_V2_STOP_CODEC && s.direction === 'outbound') n++
      }
    }
    return n
  }

  let current = cfg
  const reload = async (next: RelayConfig): Promise<ReloadResult> => {
    const applied: string[] = []
    const needsRestart: string[] = []
    const store = (relayService as unknown as { reservationStore?: Partial<ReservationStoreFields> }).reservationStore
    if (!sameLimits(current.relay, next.relay)) {
      // circuit-relay-v2 has no public setter: its reservation store keeps these in plain fields that it reads on
      // every new reservation. Only touch them when they are there, with the expected types (libp2p 3.3.x).
      if (store !== undefined && typeof store.maxReservations === 'number' && typeof store.reservationTtl === 'number' &&
          typeof store.defaultDurationLimit === 'number' && typeof store.defaultDataLimit === 'bigint') {
        store.maxReservations = next.relay.maxReservations
        store.reservationTtl = next.relay.reservationTtlMs
        store.applyDefaultLimit = next.relay.applyLimits
        store.defaultDurationLimit = next.relay.durationLimitMs
        store.defaultDataLimit = BigInt(next.relay.dataLimitBytes)
        applied.push('relay.maxReservations', 'relay.reservationTtlMs', 'relay.applyLimits', 'relay.dataLimitBytes', 'relay.durationLimitMs')
      } else {
        needsRestart.push('relay.maxReservations', 'relay.reservationTtlMs', 'relay.applyLimits', 'relay.dataLimitBytes', 'relay.durationLimitMs')
      }
      for (const k of ['hopTimeoutMs', 'maxInboundHopStreams', 'maxOutboundStopStreams'] as const) {
        if (current.relay[k] !== next.relay[k]) needsRestart.push(`relay.${k}`)
      }
    }
    if (current.connections.maxConnections !== next.connections.maxConnections) {
      if (typeof handles.connectionManager?.setMaxConnections === 'function') {
        handles.connectionManager.setMaxConnections(next.connections.maxConnections)
        applied.push('connections.maxConnections')
      } else {
        needsRestart.push('connections.maxConnections')
      }
    }
    for (const k of ['inboundConnectionThreshold', 'maxIncomingPendingConnections', 'connectionMonitor'] as const) {
      if (current.connections[k] !== next.connections[k]) needsRestart.push(`connections.${k}`)
    }
    if (mailbox !== undefined) {
      mailbox.setLimits(mailboxLimits(next))
      applied.push('mailbox')
    }
    if (JSON.stringify(current.mailboxOwners) !== JSON.stringify(next.mailboxOwners)) needsRestart.push('mailboxOwners')
    for (const k of ['dataDir', 'allowPrivateAddresses'] as const) {
      if (current[k] !== next[k]) needsRestart.push(k)
    }
    for (const k of ['listen', 'announce'] as const) {
      if (JSON.stringify(current[k]) !== JSON.stringify(next[k])) needsRestart.push(k)
    }
    current = next
    return { applied, needsRestart }
  }

  return {
    libp2p,
    peerId: libp2p.peerId,
    identity: { path: identity.path, created: identity.created },
    hasMailbox: mailbox !== undefined,
    addrs,
    reservations: () => relayService.reservations.size,
    relayedConnections,
    mailboxStats: async () => mailbox !== undefined ? await mailbox.stats() : undefined,
    reload,
    stop: async () => { await libp2p.stop() }
  }
}

/**
 * libp2p 3.3's `DefaultConnectionManager.getConnections()` builds its result with `conns = conns.concat(c)` per peer:
 * O(n²) in the number of peers, and it runs on every inbound connection (acceptIncomingConnection) and on every
 * `connection:open` (the pruner). In the relay-peers bench it took 59 s of the relay's 215 s of CPU on the way to
 * 5,000 peers. This swaps in a linear version with the same result, on this instance only, when the internals are
 * the expected shape (a map of peer → connection list); otherwise it leaves libp2p alone. The upstream fix is a
 * one-line change (push instead of concat).
 */
export function linearGetConnections (cm: unknown): boolean {
  const m = cm as { connections?: { get?: unknown, values?: () => Iterable<unknown[]> }, getConnections?: unknown } | undefined
  if (m === undefined || typeof m.getConnections !== 'function' || typeof m.connections?.values !== 'function' || typeof m.connections.get !== 'function') return false
  const conns = m.connections as { get: (p: unknown) => unknown[] | undefined, values: () => Iterable<unknown[]> }
  m.getConnections = (peerId?: unknown): unknown[] => {
    if (peerId != null) return conns.get(peerId) ?? []
    const out: unknown[] = []
    for (const list of conns.values()) for (const c of list) out.push(c)
    return out
  }
  return true
}

/** Circuit relay v2 server options from Tern's limits (PROTOCOL.md §9). */
export function relayServerInit (l: RelayLimits): Parameters<typeof circuitRelayServer>[0] {
  return {
    hopTimeout: l.hopTimeoutMs,
    maxInboundHopStreams: l.maxInboundHopStreams,
    maxOutboundStopStreams: l.maxOutboundStopStreams,
    reservations: {
      maxReservations: l.maxReservations,
      reservationTtl: l.reservationTtlMs,
      applyDefaultLimit: l.applyLimits,
      // js-libp2p's server arms its timer with this value in ms and also sends it as Limit.duration (the spec's
      // seconds); clients built on js-libp2p read it as seconds, which only makes them more lenient.
      defaultDurationLimit: l.durationLimitMs,
      defaultDataLimit: BigInt(l.dataLimitBytes)
    }
  }
}

/** The mailbox limits of a config: its `mailbox` section over the mailbox defaults (keys checked by config.ts). */
export function mailboxLimits (cfg: RelayConfig): MailboxLimits {
  return { ...defaultMailboxLimits, ...cfg.mailbox } as MailboxLimits
}

function sameLimits (a: RelayLimits, b: RelayLimits): boolean {
  return (Object.keys(a) as Array<keyof RelayLimits>).every(k => a[k] === b[k])
}

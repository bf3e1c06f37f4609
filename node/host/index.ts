/**
 * The node's libp2p host (PROTOCOL.md §9, §12): TCP (one write per send: coalesce.ts) + Noise + Yamux, identify, ping, kad-dht in client mode on
 * /tern/kad/1.0.0, circuit relay v2 transport holding reservations on the configured relays (it listens on
 * `<relay>/p2p-circuit`), DCUtR, AutoNAT, and the /tern/msg/1.0.0 messaging service.
 * Owns: libp2p options of a node. Must not know: the delivery core, the store, RPC.
 *
 * `relayOnly`: the node listens on no direct transport address and dials contacts only through relay circuits
 * (node/net-libp2p.ts); DCUtR is left out so that no relayed connection is upgraded to a direct one.
 *
 * `tcpDialPort` (experimental, used by the NAT lab, docs/lab.md): dials to the relays and DCUtR's hole-punching dials
 * bind this local port, so a port-preserving (cone) NAT maps them to one public port, and an address a peer observed
 * through identify is trusted when it carries that port. js-libp2p's identify ignores TCP observed addresses and
 * AutoNAT's dial-back cannot pass a NAT that filters by remote address and port, so without this a node behind a NAT
 * never learns a public TCP address and DCUtR has nothing to punch. A symmetric NAT rewrites the port: the
 * observation is ignored. Other dials (DCUtR's "unilateral" attempt, ordinary dials to a peer's announced address)
 * use ephemeral ports: a failed dial from the punch port would leave NAT and conntrack entries for the very 5-tuple
 * of the later simultaneous open, letting the peer's SYN reach this host before its socket exists (answered with a
 * RST, which kills the punch).
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { autoNAT } from '@libp2p/autonat'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper, removePrivateAddressesMapper, type KadDHT } from '@libp2p/kad-dht'
import { isLoopback, isPrivate } from '@libp2p/utils'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { FaultTolerance, type Libp2p, type PrivateKey } from '@libp2p/interface'
import { createLibp2p } from 'libp2p'
import { messaging, type MessagingService } from '../messaging/index.js'
import { noiseCrypto } from '../../protocol/crypto/noise.js'
import { withCoalescedWrites } from './coalesce.js'
import { DEFAULT_LISTEN, LOOPBACK_INBOUND_THRESHOLD, TERN_KAD_PROTOCOL } from './constants.js'

export * from './constants.js'

export interface NodeHostInit {
  privateKey: PrivateKey
  /** direct listen addresses (ignored with relayOnly); default DEFAULT_LISTEN */
  listen?: string[]
  /** relay multiaddrs, each ending in /p2p/<relay PeerId>: the node reserves a slot on each */
  relays?: string[]
  relayOnly?: boolean
  /** keep private and loopback addresses in the DHT and allow many inbound connections from one IP (tests, labs) */
  allowPrivateAddresses?: boolean
  /** experimental (NAT lab): local port of every outgoing TCP dial; observed addresses with this port are announced */
  tcpDialPort?: number
}

export interface NodeServices {
  identify: unknown
  ping: unknown
  dht: KadDHT
  autonat: unknown
  dcutr?: unknown
  messaging: MessagingService
  [key: string]: unknown
}

export type NodeHost = Libp2p<NodeServices>

export async function createNodeHost (init: NodeHostInit): Promise<NodeHost> {
  const relays = init.relays ?? []
  const direct = init.relayOnly === true ? [] : (init.listen ?? DEFAULT_LISTEN)
  const listen = [...direct, ...relays.map(r => `${r}/p2p-circuit`)]
  const services: Record<string, (components: any) => unknown> = {
    identify: identify(),
    ping: ping(),
    dht: kadDHT({
      protocol: TERN_KAD_PROTOCOL,
      clientMode: true,
      peerInfoMapper: init.allowPrivateAddresses === true ? passthroughMapper : removePrivateAddressesMapper,
      initialQuerySelfInterval: 0
    }),
    autonat: autoNAT(),
    messaging: messaging()
  }
  if (init.relayOnly !== true) services.dcutr = dcutr()
  const dialPort = init.relayOnly === true ? undefined : init.tcpDialPort
  if (dialPort !== undefined) services.observedTcp = trustObservedTcpPort(dialPort)
  const relayPeers = new Set(relays.flatMap(r => { const m = /\/p2p\/([^/]+)$/.exec(r); return m !== null ? [m[1]] : [] }))
  const node = await createLibp2p({
    privateKey: init.privateKey,
    addresses: { listen },
    transports: [withCoalescedWrites(dialPort !== undefined ? tcpWithPunchPort(dialPort, relayPeers) : tcp()), circuitRelayTransport()],
    connectionEncrypters: [noise({ crypto: noiseCrypto })],
    streamMuxers: [yamux()],
    connectionManager: init.allowPrivateAddresses === true ? { inboundConnectionThreshold: LOOPBACK_INBOUND_THRESHOLD } : {},
    // a relay that refuses our reservation must not stop the node from starting (an unreachable one is retried by
    // the circuit-relay patch, patches/README.md); the node serves its API and dials contacts without it
    transportManager: { faultTolerance: FaultTolerance.NO_FATAL },
    services
  })
  return node as unknown as NodeHost
}

/** The relays (by PeerId string) on which this host holds a reservation now: its /p2p-circuit listen addresses. */
export function reservedRelays (host: Libp2p): Set<string> {
  const out = new Set<string>()
  for (const ma of host.getMultiaddrs()) {
    const s = ma.toString()
    const i = s.indexOf('/p2p-circuit')
    if (i < 0) continue
    const m = /\/p2p\/([^/]+)$/.exec(s.slice(0, i))
    if (m !== null) out.add(m[1])
  }
  return out
}

/** The dial priority @libp2p/dcutr gives its hole-punching dials (DCUTR_DIAL_PRIORITY in @libp2p/dcutr 3.x). */
export const DCUTR_DIAL_PRIORITY = 100

/**
 * @libp2p/tcp whose dials to a relay (a `/p2p/<relay>` address without `/p2p-circuit`) and DCUtR's dials (priority
 * DCUTR_DIAL_PRIORITY) bind `port` as their local port. @libp2p/tcp merges the dial options into net.connect's, so
 * `localPort` is set per dial; every other dial keeps an ephemeral port.
 */
export function tcpWithPunchPort (port: number, relayPeers: Set<string>): ReturnType<typeof tcp> {
  const factory = tcp()
  return (components) => {
    const transport = factory(components)
    const dial = transport.dial.bind(transport)
    transport.dial = async (ma, options) => {
      const s = ma.toString()
      const peer = /\/p2p\/([^/]+)$/.exec(s)?.[1]
      const punch = (options as { priority?: number }).priority === DCUTR_DIAL_PRIORITY
      const toRelay = !s.includes('/p2p-circuit') && peer !== undefined && relayPeers.has(peer)
      return await dial(ma, punch || toRelay ? { ...options, localPort: port } as typeof options : options)
    }
    return transport
  }
}

interface ObservedTcpComponents {
  events: EventTarget
  addressManager: { addObservedAddr: (ma: Multiaddr) => void, confirmObservedAddr: (ma: Multiaddr, opts?: { type?: 'observed' }) => void }
}

/**
 * A service that announces this node's public TCP address as peers observe it (identify `observedAddr`), when the
 * observed port is `port`: the NAT kept the source port of our dials, so the same public port maps back to us for a
 * DCUtR simultaneous open. Other observations (a rewritten port, private or loopback addresses) are ignored.
 */
export function trustObservedTcpPort (port: number): (components: ObservedTcpComponents) => { start: () => void, stop: () => void } {
  return (components) => {
    const onIdentify = (evt: Event): void => {
      const observed = (evt as CustomEvent<{ observedAddr?: Multiaddr }>).detail?.observedAddr
      if (observed === undefined) return
      // identify reports it as /ip4/<ip>/tcp/<port>/p2p/<our id>
      const parts = observed.getComponents().filter(c => c.name !== 'p2p')
      if (parts.length !== 2 || parts[0].name !== 'ip4' || parts[1].name !== 'tcp' || Number(parts[1].value) !== port) return
      const addr = multiaddr(`/ip4/${parts[0].value ?? ''}/tcp/${port}`)
      if (isPrivate(addr) || isLoopback(addr)) return
      components.addressManager.addObservedAddr(addr)
      components.addressManager.confirmObservedAddr(addr, { type: 'observed' })
    }
    return {
      start: () => { components.events.addEventListener('peer:identify', onIdentify) },
      stop: () => { components.events.removeEventListener('peer:identify', onIdentify) }
    }
  }
}

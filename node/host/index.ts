/**
 * The node's libp2p host (PROTOCOL.md §9, §12): TCP + Noise + Yamux, identify, ping, kad-dht in client mode on
 * /tern/kad/1.0.0, circuit relay v2 transport holding reservations on the configured relays (it listens on
 * `<relay>/p2p-circuit`), DCUtR, AutoNAT, and the /tern/msg/1.0.0 messaging service.
 * Owns: libp2p options of a node. Must not know: the delivery core, the store, RPC.
 *
 * `relayOnly`: the node listens on no direct transport address and dials contacts only through relay circuits
 * (node/net-libp2p.ts); DCUtR is left out so that no relayed connection is upgraded to a direct one.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { autoNAT } from '@libp2p/autonat'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper, removePrivateAddressesMapper, type KadDHT } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { createLibp2p } from 'libp2p'
import { messaging, type MessagingService } from '../messaging/index.js'
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
  const node = await createLibp2p({
    privateKey: init.privateKey,
    addresses: { listen },
    transports: [tcp(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: init.allowPrivateAddresses === true ? { inboundConnectionThreshold: LOOPBACK_INBOUND_THRESHOLD } : {},
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

/**
 * Two real libp2p nodes on loopback (TCP, Noise, Yamux) with the /tern/msg service, the client dialled to the
 * server: the messaging tests' pair. `got` collects the envelopes the server's handler saw, in order.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import type { Connection } from '@libp2p/interface'
import { createLibp2p, type Libp2p } from 'libp2p'
import type { Test } from 'tap'
import { messaging, type MessagingInit, type MessagingService } from '../../node/messaging/index.js'

/** libp2p options of a loopback test node: TCP, Noise, Yamux, no inbound limit, no connection monitor. */
export const LOOPBACK_BASE = {
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  connectionManager: { inboundConnectionThreshold: 10_000 },
  connectionMonitor: { enabled: false }
}

export type MsgNode = Libp2p<{ messaging: MessagingService }>
export interface MsgPair { server: MsgNode, client: MsgNode, conn: Connection, got: Uint8Array[] }

/** Starts the pair (server with `init`), stopped at the test's teardown. */
export async function startMsgPair (t: Test, init: MessagingInit = {}): Promise<MsgPair> {
  const server: MsgNode = await createLibp2p({ ...LOOPBACK_BASE, addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, services: { messaging: messaging(init) } })
  const client: MsgNode = await createLibp2p({ ...LOOPBACK_BASE, addresses: { listen: [] }, services: { messaging: messaging() } })
  t.teardown(async () => { await client.stop(); await server.stop() })
  const got: Uint8Array[] = []
  server.services.messaging.setHandler(async (f) => { got.push(f.envelope) })
  const conn = await client.dial(server.getMultiaddrs()[0])
  return { server, client, conn, got }
}

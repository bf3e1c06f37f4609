/**
 * Raw access to /tern/mailbox/1.0.0 for tests: a session without the client's conveniences (no owner key unless
 * given, arbitrary requests), and a byte-level stream for garbage frames.
 */
import type { Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { MailboxSession } from '../../bootstrap/mailbox/client.js'
import { MAILBOX_PROTOCOL } from '../../bootstrap/mailbox/constants.js'

export async function rawSession (node: Libp2p, relay: Multiaddr[], ownerKey?: { secretKey: Uint8Array, publicKey: Uint8Array }): Promise<MailboxSession> {
  const conn = await node.dial(relay)
  const stream = await conn.newStream(MAILBOX_PROTOCOL)
  return new MailboxSession(stream, conn.remotePeer.toMultihash().bytes, node.peerId.toMultihash().bytes, ownerKey)
}

export const sig = (): AbortSignal => AbortSignal.timeout(5000)

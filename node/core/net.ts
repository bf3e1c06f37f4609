/**
 * The seam between the node's delivery core (node/core/, no libp2p) and its network (node/host/ + node/messaging/,
 * libp2p and the relay mailbox client). The core decides WHAT to send and WHEN; a Net decides HOW. Unit tests of the
 * core use an in-memory Net; the daemon uses the libp2p one. Envelopes are opaque bytes here (protocol/envelope).
 */

/** How a direct send reached the peer. */
export type DirectPath = 'direct' | 'relayed'

/** A mailbox deposit capability: where and with what token anyone may deposit into one queue (PROTOCOL.md §8). */
export interface QueueCapability {
  /** the relay's multiaddrs, each ending in /p2p/<relay PeerId> (string form) */
  relayAddrs: string[]
  /** 16-byte queue id chosen by the relay */
  queueId: Uint8Array
  /** 32-byte deposit token */
  token: Uint8Array
}

/** One envelope that reached this node, with where it came from. */
export interface InboundEnvelope {
  /** the PeerId (string) of a direct or relayed sender, authenticated by Noise; absent for mailbox envelopes */
  from?: string
  /** the queue a mailbox envelope was deposited into (absent for direct) */
  queueId?: Uint8Array
  /** how it arrived */
  path: DirectPath | 'mailbox'
  envelope: Uint8Array
}

export interface Net {
  /**
   * Sends one envelope to a peer: known/hinted addresses, then the DHT, then the peer's relay circuit, and resolves
   * once the peer's node acknowledged it (after it processed the envelope durably). Rejects with a typed error
   * (code ERR_UNREACHABLE when nothing could be dialled within the core's deadline, ERR_ACK_TIMEOUT when no ack came)
   * or when `signal` aborts. Never stores anything itself.
   */
  sendDirect: (peerId: string, envelope: Uint8Array, opts: { signal: AbortSignal, addresses?: string[], relayAddrs?: string[] }) => Promise<{ path: DirectPath }>
  /** Deposits into someone's mailbox queue (theirs or an invite's); resolves once the relay stored it. */
  deposit: (cap: QueueCapability, envelope: Uint8Array, opts: { signal: AbortSignal }) => Promise<void>
  /** Creates a queue on this node's own relay (owner-authenticated); the capability can be handed out. */
  createQueue: (opts: { signal: AbortSignal }) => Promise<QueueCapability>
  /** Deletes one of this node's queues (after an invite is used or a contact removed). */
  deleteQueue: (queueId: Uint8Array, opts: { signal: AbortSignal }) => Promise<void>
  /**
   * Registers THE inbound handler. The Net calls it for every envelope that arrives directly or from this node's
   * mailbox queues (fetched at start and pushed while connected); it acknowledges to the sender / acks and deletes on
   * the relay only after the handler's promise resolves, and leaves the envelope unacknowledged if it rejects.
   * The core must therefore accept duplicates (acknowledge again, store nothing twice).
   */
  onEnvelope: (handler: (e: InboundEnvelope) => Promise<void>) => void
  /** Reports presence changes of peers the core asked about (a connection opened or all closed). */
  onPresence: (handler: (peerId: string, online: boolean) => void) => void
  /** Tells the Net which peers are contacts (to watch their presence and keep their addresses). */
  setContacts: (peerIds: string[]) => void
  /** Whether a connection (direct or relayed) to this peer is open now. */
  isConnected: (peerId: string) => boolean
  /** This node's dialable addresses (including /p2p-circuit ones via its relay reservations), string multiaddrs. */
  addresses: () => string[]
}

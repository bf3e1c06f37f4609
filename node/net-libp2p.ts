/**
 * The Net of the delivery core (node/core/net.ts) over libp2p (PROTOCOL.md §12.5): direct and relayed delivery on
 * /tern/msg/1.0.0, mailbox deposits on any relay, this node's own queues on its relay (fetched at start, then pushed),
 * presence from connection events.
 * Owns: the dialling strategy (open connection → peer store / hinted addresses → DHT → relay circuit), the mailbox
 * clients, the list of this node's queue ids (persisted through `queueStore`). Must not know: envelopes' contents,
 * sessions, the RPC API.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { Connection, PeerId } from '@libp2p/interface'
import { MailboxClient, type Subscription as MailboxSubscription } from '../bootstrap/mailbox/client.js'
import type { DirectPath, InboundEnvelope, Net, QueueCapability } from './core/net.js'
import type { NodeHost } from './host/index.js'
import { AckTimeoutError, UnreachableError, isRelayed } from './messaging/index.js'

/** ms one dial attempt (one step of the strategy) may take before the next step is tried. §12.5 */
export const DIAL_STEP_TIMEOUT_MS = 2_000
/** ms a DHT findPeer may take (always with an AbortSignal: STACK-NOTES). §12.5 */
export const DHT_STEP_TIMEOUT_MS = 1_500
/** ms between attempts to re-open the mailbox subscription after it closed. */
export const MAILBOX_RESUBSCRIBE_MS = 1_000
/** Envelopes fetched per mailbox FETCH. */
export const MAILBOX_FETCH_BATCH = 64
/** Parsed PeerIds kept (Libp2pNet.peerOf); more than a node's contacts, then the map starts over. */
const MAX_PARSED_PEER_IDS = 4096

/** Where the Net keeps the ids of this node's queues (the daemon backs it with the encrypted store). */
export interface QueueStore {
  load: () => Promise<Uint8Array[]>
  save: (queueIds: Uint8Array[]) => Promise<void>
}

export interface Libp2pNetInit {
  host: NodeHost
  /** this node's relays (multiaddrs ending in /p2p/<relay>); queues are created on the first */
  relays: string[]
  relayOnly?: boolean
  /** the mailbox owner key (Ed25519 seed + public key), separate from the identity key */
  ownerKey: { secretKey: Uint8Array, publicKey: Uint8Array }
  queueStore: QueueStore
  /** ids and codes only, never content */
  log?: (msg: string, fields?: Record<string, unknown>) => void
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const relayPeerOf = (addr: string): string => addr.slice(addr.lastIndexOf('/p2p/') + 5)

export class Libp2pNet implements Net {
  private readonly host: NodeHost
  private readonly relays: string[]
  private readonly relayOnly: boolean
  private readonly init: Libp2pNetInit
  private handler: ((e: InboundEnvelope) => Promise<void>) | undefined
  private presence: ((peerId: string, online: boolean) => void) | undefined
  private contacts = new Set<string>()
  private readonly depositClients = new Map<string, MailboxClient>()
  private ownClient: MailboxClient | undefined
  private queueIds: Uint8Array[] = []
  private sub: MailboxSubscription | undefined
  private mailboxChain: Promise<unknown> = Promise.resolve()
  private readonly inFlight = new Set<string>()
  private readonly peerIds = new Map<string, PeerId>()
  private stopped = false
  private resubscribeTimer: ReturnType<typeof setTimeout> | undefined
  private readonly log: (msg: string, fields?: Record<string, unknown>) => void

  constructor (init: Libp2pNetInit) {
    this.init = init
    this.host = init.host
    this.relays = init.relays
    this.relayOnly = init.relayOnly === true
    this.log = init.log ?? (() => {})
    this.host.services.messaging.setHandler(async (f) => {
      if (this.handler === undefined) throw new Error('no handler yet')
      await this.handler({ from: f.from, path: f.path, envelope: f.envelope })
    })
    this.host.addEventListener('peer:connect', (e) => { this.maybeReportPresence(e.detail.toString(), true) })
    this.host.addEventListener('peer:disconnect', (e) => { this.maybeReportPresence(e.detail.toString(), false) })
    if (this.relays.length > 0) {
      this.ownClient = new MailboxClient({ libp2p: this.host, relay: this.relays.map(a => multiaddr(a)), ownerKey: init.ownerKey })
    }
  }

  /** Loads the queue list, subscribes to pushes and drains what waited in the queues. Never throws on network errors. */
  async start (): Promise<void> {
    this.queueIds = await this.init.queueStore.load()
    await this.resubscribe()
  }

  async stop (): Promise<void> {
    this.stopped = true
    if (this.resubscribeTimer !== undefined) clearTimeout(this.resubscribeTimer)
    await this.sub?.close().catch(() => {})
    this.sub = undefined
    await this.ownClient?.close().catch(() => {})
    for (const c of this.depositClients.values()) await c.close().catch(() => {})
    await this.mailboxChain.catch(() => {})
  }

  // -- Net ----------------------------------------------------------------------------------------------------------

  onEnvelope (handler: (e: InboundEnvelope) => Promise<void>): void { this.handler = handler }
  onPresence (handler: (peerId: string, online: boolean) => void): void { this.presence = handler }
  setContacts (peerIds: string[]): void { this.contacts = new Set(peerIds) }

  isConnected (peerId: string): boolean {
    return this.pickConnection(peerId) !== undefined
  }

  addresses (): string[] {
    const self = this.host.peerId.toString()
    return this.host.getMultiaddrs().map(a => {
      const s = a.toString()
      return s.endsWith(`/p2p/${self}`) ? s : `${s}/p2p/${self}`
    })
  }

  async sendDirect (peerId: string, envelope: Uint8Array, opts: { signal: AbortSignal, addresses?: string[], relayAddrs?: string[] }): Promise<{ path: DirectPath }> {
    const conn = await this.connect(peerId, opts)
    try {
      await this.host.services.messaging.send(conn, envelope, { signal: opts.signal })
    } catch (err) {
      if (opts.signal.aborted && !(err instanceof AckTimeoutError)) throw new AckTimeoutError('aborted')
      throw err
    }
    return { path: isRelayed(conn) ? 'relayed' : 'direct' }
  }

  async deposit (cap: QueueCapability, envelope: Uint8Array, opts: { signal: AbortSignal }): Promise<void> {
    if (cap.relayAddrs.length === 0) throw new UnreachableError('capability names no relay')
    await this.clientFor(cap.relayAddrs).deposit({ queueId: cap.queueId, token: cap.token }, envelope, { signal: opts.signal })
  }

  async createQueue (opts: { signal: AbortSignal }): Promise<QueueCapability> {
    const client = this.requireOwnClient()
    const cap = await client.createQueue({ signal: opts.signal })
    this.queueIds = [...this.queueIds, cap.queueId]
    await this.init.queueStore.save(this.queueIds)
    void this.resubscribe()
    return { relayAddrs: [...this.relays], queueId: cap.queueId, token: cap.token }
  }

  async deleteQueue (queueId: Uint8Array, opts: { signal: AbortSignal }): Promise<void> {
    const client = this.requireOwnClient()
    const h = hex(queueId)
    this.queueIds = this.queueIds.filter(q => hex(q) !== h)
    await this.init.queueStore.save(this.queueIds)
    await client.deleteQueue(queueId, { signal: opts.signal }).catch((err: unknown) => {
      // already gone on the relay: the list above is what matters
      if ((err as { code?: string }).code !== 'ERR_MAILBOX_NOT_FOUND') throw err
    })
    void this.resubscribe()
  }

  // -- dialling -------------------------------------------------------------------------------------------------------

  /**
   * The parsed PeerId of a contact: parsing (base58 and multihash) costs tens of microseconds and every send and
   * presence check needs it. Bounded by the contacts; a string that does not parse is not remembered.
   */
  private peerOf (peerId: string): PeerId {
    let peer = this.peerIds.get(peerId)
    if (peer === undefined) {
      peer = peerIdFromString(peerId)
      if (this.peerIds.size >= MAX_PARSED_PEER_IDS) this.peerIds.clear()
      this.peerIds.set(peerId, peer)
    }
    return peer
  }

  /** An open connection to the peer; relayOnly accepts only relayed ones; otherwise a direct one is preferred. */
  private pickConnection (peerId: string): Connection | undefined {
    let peer: PeerId
    try { peer = this.peerOf(peerId) } catch { return undefined }
    const open = this.host.getConnections(peer).filter(c => c.status === 'open')
    const relayed = open.filter(c => isRelayed(c))
    if (this.relayOnly) return relayed[0]
    return open.find(c => !isRelayed(c)) ?? relayed[0]
  }

  /** §12.5: open connection → peer store + hinted addresses → DHT → relay circuits. */
  private async connect (peerId: string, opts: { signal: AbortSignal, addresses?: string[], relayAddrs?: string[] }): Promise<Connection> {
    const existing = this.pickConnection(peerId)
    if (existing !== undefined) return existing
    let peer: PeerId
    try { peer = this.peerOf(peerId) } catch { throw new UnreachableError('not a peer id') }
    const step = (ms: number): AbortSignal => AbortSignal.any([opts.signal, AbortSignal.timeout(ms)])
    const attempt = async (target: PeerId | Multiaddr[], ms = DIAL_STEP_TIMEOUT_MS): Promise<Connection | undefined> => {
      if (opts.signal.aborted) return undefined
      try {
        const c = await this.host.dial(target, { signal: step(ms) })
        if (this.relayOnly && !isRelayed(c)) return undefined
        return c
      } catch {
        return undefined
      }
    }
    const circuitsVia = (relayAddrs: string[]): Multiaddr[] =>
      relayAddrs.flatMap(r => { try { return [multiaddr(`${r}/p2p-circuit/p2p/${peerId}`)] } catch { return [] } })

    if (!this.relayOnly) {
      const hinted = (opts.addresses ?? []).flatMap(a => { try { return [multiaddr(a)] } catch { return [] } })
      if (hinted.length > 0) await this.host.peerStore.merge(peer, { multiaddrs: hinted }).catch(() => {})
      const known = await this.host.peerStore.get(peer).then(p => p.addresses.length, () => 0)
      if (known > 0) {
        const c = await attempt(peer)
        if (c !== undefined) return c
      }
    }
    // the peer's own relays first: in relayOnly mode they are the only way in
    if (this.relayOnly && (opts.relayAddrs?.length ?? 0) > 0) {
      const c = await attempt(circuitsVia(opts.relayAddrs ?? []))
      if (c !== undefined) return c
    }
    if (!opts.signal.aborted) {
      try {
        const info = await this.host.peerRouting.findPeer(peer, { signal: step(DHT_STEP_TIMEOUT_MS) })
        const addrs = this.relayOnly ? info.multiaddrs.filter(a => a.toString().includes('/p2p-circuit')) : info.multiaddrs
        if (addrs.length > 0) {
          const c = await attempt(addrs)
          if (c !== undefined) return c
        }
      } catch {}
    }
    const relayAddrs = [...new Set([...(opts.relayAddrs ?? []), ...this.relays])]
    if (relayAddrs.length > 0) {
      const c = await attempt(circuitsVia(relayAddrs))
      if (c !== undefined) return c
    }
    throw new UnreachableError()
  }

  // -- mailbox --------------------------------------------------------------------------------------------------------

  private requireOwnClient (): MailboxClient {
    if (this.ownClient === undefined) throw new UnreachableError('no relay configured: cannot use a mailbox')
    return this.ownClient
  }

  private clientFor (relayAddrs: string[]): MailboxClient {
    const relayPeer = relayPeerOf(relayAddrs[0])
    if (this.ownClient !== undefined && this.relays.some(r => relayPeerOf(r) === relayPeer)) return this.ownClient
    let c = this.depositClients.get(relayPeer)
    if (c === undefined) {
      c = new MailboxClient({ libp2p: this.host, relay: relayAddrs.map(a => multiaddr(a)) })
      this.depositClients.set(relayPeer, c)
    }
    return c
  }

  /** (Re)opens the push subscription over every queue, then fetches what is already queued (subscribe first: §8). */
  private async resubscribe (): Promise<void> {
    if (this.stopped || this.ownClient === undefined) return
    if (this.resubscribeTimer !== undefined) { clearTimeout(this.resubscribeTimer); this.resubscribeTimer = undefined }
    const old = this.sub
    this.sub = undefined
    await old?.close().catch(() => {})
    if (this.queueIds.length === 0) return
    const ids = [...this.queueIds]
    try {
      const sub = await this.ownClient.subscribe(ids, (e) => { this.enqueueMailbox(e.queueId, e.id, e.data) })
      if (this.stopped) { await sub.close(); return }
      this.sub = sub
      void sub.closed.then(() => { if (this.sub === sub) { this.sub = undefined; this.scheduleResubscribe() } })
    } catch (err) {
      this.log('mailbox subscribe failed', { code: (err as { code?: string }).code })
      this.scheduleResubscribe()
      return
    }
    for (const q of ids) await this.drainQueue(q)
  }

  private scheduleResubscribe (): void {
    if (this.stopped || this.resubscribeTimer !== undefined) return
    this.resubscribeTimer = setTimeout(() => { this.resubscribeTimer = undefined; void this.resubscribe() }, MAILBOX_RESUBSCRIBE_MS)
    this.resubscribeTimer.unref?.()
  }

  private async drainQueue (queueId: Uint8Array): Promise<void> {
    const client = this.ownClient
    if (client === undefined) return
    try {
      for (;;) {
        const batch = await client.fetch(queueId, { maxCount: MAILBOX_FETCH_BATCH })
        const fresh = batch.filter(e => !this.inFlight.has(`${hex(e.queueId)}:${e.id}`))
        for (const e of batch) this.enqueueMailbox(e.queueId, e.id, e.data)
        await this.mailboxChain
        if (batch.length < MAILBOX_FETCH_BATCH || fresh.length === 0) return
      }
    } catch (err) {
      this.log('mailbox fetch failed', { code: (err as { code?: string }).code })
    }
  }

  /** Processes mailbox envelopes one at a time, in arrival order; acks each on the relay after the handler resolved. */
  private enqueueMailbox (queueId: Uint8Array, id: number, data: Uint8Array): void {
    const key = `${hex(queueId)}:${id}`
    if (this.inFlight.has(key)) return
    this.inFlight.add(key)
    this.mailboxChain = this.mailboxChain.then(async () => {
      try {
        if (this.stopped || this.handler === undefined) return
        await this.handler({ queueId, path: 'mailbox', envelope: data })
        await this.ownClient?.ack(queueId, [id])
      } catch (err) {
        this.log('mailbox envelope not processed', { code: (err as { code?: string }).code })
      } finally {
        this.inFlight.delete(key)
      }
    })
  }

  private maybeReportPresence (peerId: string, online: boolean): void {
    if (!this.contacts.has(peerId) || this.presence === undefined) return
    if (!online && this.pickConnectionAny(peerId)) return
    this.presence(peerId, online)
  }

  private pickConnectionAny (peerId: string): boolean {
    try { return this.host.getConnections(this.peerOf(peerId)).length > 0 } catch { return false }
  }
}

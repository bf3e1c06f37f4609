/**
 * An in-memory Net (node/core/net.ts) for unit tests of the delivery core: several nodes on one MemoryNetwork with a
 * fake relay mailbox. Tests take nodes offline, drop/duplicate envelopes on the wire (`fault`), shuffle or duplicate
 * mailbox contents, and restart a node (a new MemoryNet for the same peer id).
 */
import { randomBytes } from 'node:crypto'
import { TernError } from '../../protocol/errors.js'
import type { DirectPath, InboundEnvelope, Net, QueueCapability } from '../../node/core/net.js'

/** A valid relay multiaddr (the core converts addresses to binary multiaddrs). */
export const RELAY_ADDR = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'

/** What happens to one direct envelope: delivered, lost before the peer (drop), lost after it (ack lost), or twice. */
export type Fault = 'deliver' | 'drop' | 'ackLost' | 'duplicate'

interface Queue { owner: string, token: string, items: Uint8Array[] }

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const tick = async (): Promise<void> => await new Promise(resolve => setImmediate(resolve))

export class MemoryNetwork {
  readonly nodes = new Map<string, MemoryNet>()
  readonly queues = new Map<string, Queue>()
  /** decides the fate of each direct envelope (default: deliver) */
  fault: (from: string, to: string, envelope: Uint8Array) => Fault = () => 'deliver'
  directCount = 0
  depositCount = 0

  /** A Net for `peerId`; replaces (disconnects) an earlier one for the same peer id, as a restart does. */
  join (peerId: string): MemoryNet {
    this.nodes.get(peerId)?.setOnline(false)
    const n = new MemoryNet(this, peerId)
    this.nodes.set(peerId, n)
    for (const other of this.nodes.values()) if (other !== n) other.presence(peerId, true)
    return n
  }

  queueOf (ownerPeerId: string): Queue[] { return [...this.queues.values()].filter(q => q.owner === ownerPeerId) }

  /** Reorders (reverses) and duplicates every item of every queue of `owner`. */
  shuffleAndDuplicate (owner: string): void {
    for (const q of this.queueOf(owner)) q.items = [...q.items, ...q.items].reverse()
  }
}

export class MemoryNet implements Net {
  online = true
  private handler: ((e: InboundEnvelope) => Promise<void>) | undefined
  private presenceHandler: ((peerId: string, online: boolean) => void) | undefined
  contacts: string[] = []
  private pumping: Promise<void> | undefined

  constructor (private readonly network: MemoryNetwork, readonly peerId: string) {}

  private get reachable (): boolean { return this.online && this.handler !== undefined }

  setOnline (online: boolean): void {
    if (this.online === online) return
    this.online = online
    for (const other of this.network.nodes.values()) if (other !== this) other.presence(this.peerId, online)
    if (online) void this.pump()
  }

  presence (peerId: string, online: boolean): void {
    if (this.online && this.contacts.includes(peerId)) this.presenceHandler?.(peerId, online)
  }

  sendDirect = async (peerId: string, envelope: Uint8Array, opts: { signal: AbortSignal }): Promise<{ path: DirectPath }> => {
    await tick()
    opts.signal.throwIfAborted()
    const to = this.network.nodes.get(peerId)
    if (!this.online || to === undefined || !to.reachable) throw new TernError('ERR_UNREACHABLE', `${peerId} unreachable`)
    const fate = this.network.fault(this.peerId, peerId, envelope)
    if (fate === 'drop') throw new TernError('ERR_ACK_TIMEOUT', 'lost')
    this.network.directCount++
    await to.deliver({ from: this.peerId, path: 'direct', envelope })
    if (fate === 'duplicate') await to.deliver({ from: this.peerId, path: 'direct', envelope })
    if (fate === 'ackLost') throw new TernError('ERR_ACK_TIMEOUT', 'ack lost')
    return { path: 'direct' }
  }

  deposit = async (cap: QueueCapability, envelope: Uint8Array, opts: { signal: AbortSignal }): Promise<void> => {
    await tick()
    opts.signal.throwIfAborted()
    if (!this.online) throw new TernError('ERR_UNREACHABLE', 'relay unreachable')
    const q = this.network.queues.get(hex(cap.queueId))
    if (q === undefined || q.token !== hex(cap.token)) throw new TernError('ERR_MAILBOX_REFUSED', 'no such queue')
    q.items.push(envelope.slice())
    this.network.depositCount++
    const owner = this.network.nodes.get(q.owner)
    if (owner !== undefined) void owner.pump()
  }

  createQueue = async (): Promise<QueueCapability> => {
    await tick()
    if (!this.online) throw new TernError('ERR_UNREACHABLE', 'relay unreachable')
    const queueId = new Uint8Array(randomBytes(16))
    const token = new Uint8Array(randomBytes(32))
    this.network.queues.set(hex(queueId), { owner: this.peerId, token: hex(token), items: [] })
    return { relayAddrs: [RELAY_ADDR], queueId, token }
  }

  deleteQueue = async (queueId: Uint8Array): Promise<void> => {
    await tick()
    this.network.queues.delete(hex(queueId))
  }

  onEnvelope = (handler: (e: InboundEnvelope) => Promise<void>): void => {
    this.handler = handler
    void this.pump()
  }

  onPresence = (handler: (peerId: string, online: boolean) => void): void => { this.presenceHandler = handler }
  setContacts = (peerIds: string[]): void => { this.contacts = [...peerIds] }
  isConnected = (peerId: string): boolean => this.online && this.network.nodes.get(peerId)?.online === true
  addresses = (): string[] => [`${RELAY_ADDR}/p2p-circuit/p2p/${this.peerId}`]

  async deliver (e: InboundEnvelope): Promise<void> {
    if (this.handler === undefined) throw new TernError('ERR_UNREACHABLE', 'no handler')
    await this.handler(e)
  }

  /** Fetches this node's queues: each item is removed only after the handler resolved (as the relay acks). */
  async pump (): Promise<void> {
    if (this.pumping !== undefined) { await this.pumping; return await this.pump() }
    this.pumping = (async () => {
      for (;;) {
        if (!this.reachable) return
        let any = false
        for (const [qid, q] of this.network.queues) {
          if (q.owner !== this.peerId) continue
          while (q.items.length > 0 && this.reachable) {
            const item = q.items[0] as Uint8Array
            try {
              await this.deliver({ queueId: Buffer.from(qid, 'hex'), path: 'mailbox', envelope: item })
            } catch { return }
            if (q.items[0] === item) q.items.shift()
            any = true
          }
        }
        if (!any) return
      }
    })()
    try { await this.pumping } finally { this.pumping = undefined }
  }
}

// ---- test nodes: a Messenger on a reopenable in-memory store, joined to a MemoryNetwork

import { MemoryKV, Store, STORE_CACHE_BYTES, type KV } from '../../node/store/index.js'
import { Messenger, type Timings } from '../../node/core/index.js'
import { generateIdentity, peerIdStringFromIdentity, type IdentityKeyPair } from '../../protocol/identity/index.js'
import { systemRng } from '../../protocol/crypto/index.js'

/** Small timings so tests run fast but tolerate a loaded machine. */
export const TEST_TIMINGS: Partial<Timings> = {
  UNREACHABLE_AFTER_MS: 300,
  ACK_TIMEOUT_MS: 300,
  RETRY_BACKOFF_MIN_MS: 100,
  RETRY_BACKOFF_MAX_MS: 400,
  MAILBOX_TIMEOUT_MS: 1000
}

/** A KV whose close() keeps the data, so a "restarted" node reopens the same store. */
class KeptKV extends MemoryKV {
  override async close (): Promise<void> {}
}

export interface TestNode {
  name: string
  identity: IdentityKeyPair
  dbKey: Uint8Array
  kv: KV
  store: Store
  net: MemoryNet
  m: Messenger
  events: Array<{ type: string, data: any, cursor: number }>
}

export async function startNode (network: MemoryNetwork, name: string, prior?: TestNode,
  opts: { now?: () => number, timings?: Partial<Timings> } = {}): Promise<TestNode> {
  const identity = prior?.identity ?? generateIdentity(systemRng)
  const dbKey = prior?.dbKey ?? new Uint8Array(randomBytes(32))
  const kv = prior?.kv ?? new KeptKV()
  // with the daemon's read cache, so the core's tests run over the store as the daemon has it
  const store = await Store.create(kv, dbKey, { cacheBytes: STORE_CACHE_BYTES })
  const net = network.join(peerIdStringFromIdentity(identity.signing.publicKey))
  const clock = opts.now === undefined ? undefined : { now: opts.now, setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => { clearTimeout(h as NodeJS.Timeout) } }
  const m = await Messenger.open({ store, identity, net, rng: systemRng, name, timings: { ...TEST_TIMINGS, ...opts.timings }, ...(clock !== undefined ? { clock } : {}) })
  const node: TestNode = { name, identity, dbKey, kv, store, net, m, events: [] }
  store.events.subscribe(e => { node.events.push({ type: e.type, data: e.data, cursor: e.cursor }) })
  await m.start()
  return node
}

/** Stops the messenger and closes the store (the KV keeps the data); the node goes offline. */
export async function stopNode (n: TestNode): Promise<void> {
  n.net.setOnline(false)
  await n.m.stop()
  await n.store.close()
}

export async function waitFor<T> (what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined && v !== false) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}

/** Invites b from a, waits until both sides are established; returns [a's contact id for b, b's contact id for a]. */
export async function connect (a: TestNode, b: TestNode): Promise<[string, string]> {
  const { invite } = await a.m.createInvite({})
  const cb = await b.m.addContact({ invite, name: a.name })
  const inA = await waitFor('inviter contact', async () => (await a.m.listContacts()).find(c => c.peerId === b.m.peerId && c.state === 'established'))
  await waitFor('invitee established', async () => (await b.m.getContact(cb.id)).state === 'established')
  return [inA.id, cb.id]
}

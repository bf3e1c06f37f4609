/**
 * The Tern node daemon: one process per home. It locks the home, serves JSON-RPC on `<home>/rpc.sock` (docs/API.md)
 * and starts LOCKED: until a passphrase arrives (at start, or by `node.init` / `node.unlock`) it answers only
 * node.init, node.unlock, node.status, auth and rpc.discover. With `rpcTcp` it also serves the API over TCP, guarded
 * by the token in `<home>/rpc.token` (docs/remote.md). Unlocking opens the encrypted store, builds the libp2p
 * host (node/host), the Net over it (node/net-libp2p.ts) and the delivery core (node/core Messenger), and registers
 * every RPC handler. Owns: lifecycle order, the secrets' names in the keystore, the RPC ↔ Messenger mapping.
 * Must not know: how messages are encrypted or delivered. Logs (JSON lines on `log`) carry ids, never content.
 */
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { generateIdentity, deserializeIdentity, serializeIdentity, peerIdStringFromIdentity } from '../protocol/identity/index.js'
import { ed25519KeyPair, ed25519PublicKey, fromBase64url, systemRng, toBase64url } from '../protocol/crypto/index.js'
import { AlreadyInitializedError, LockedError } from './errors.js'
import {
  acquireHomeLock, createFileExclusive, ensureHome, homePaths, initKeystore, readConfig, unlockKeystore, validateConfig, wipeKeys, writeConfig,
  CONFIG_VERSION, type HomeLock, type KdfParams, type TernConfig, type UnlockedKeys
} from './home/index.js'
import { openStore, metaKey, STORE_CACHE_BYTES, type Store } from './store/index.js'
import { Dispatcher, InsecureListenError, createRpcServer, isLoopbackHost, type EventSource, type RpcServer, type StoredEvent } from './rpc/index.js'
import { createNodeHost, reservedRelays, type NodeHost } from './host/index.js'
import { Libp2pNet } from './net-libp2p.js'
import { Messenger } from './core/index.js'
import { IdleCollector } from './idle-gc.js'
import { VERSION } from '../cli/version.js'
import { chmod, readFile, stat } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { isLoopback, isPrivate } from '@libp2p/utils'

/** Keystore secret names (PROTOCOL.md §2.5: the identity record; §8.3: the mailbox owner key, separate from it). */
export const SECRET_IDENTITY = 'identity'
export const SECRET_MAILBOX_OWNER = 'mailbox-owner'
/** Store key of this node's mailbox queue ids (opaque, base64url, in an encrypted value). */
const QUEUES_KEY = 'net-queues'

export interface DaemonInit {
  home: string
  /** direct listen addresses (default /ip4/0.0.0.0/tcp/0, or config.listen) */
  listen?: string[]
  /** relay addresses added to the configured ones */
  bootstrap?: string[]
  relayOnly?: boolean
  /** unlock (or wait for node.init) right away */
  passphrase?: string
  /** scrypt cost for node.init (tests use cheap ones) */
  kdf?: Partial<KdfParams>
  /** keep loopback/private addresses in the DHT and allow many inbound connections per IP (default: auto, when a
   * relay or listen address is loopback or private) */
  allowPrivateAddresses?: boolean
  /** experimental (NAT lab, docs/lab.md): local port of every outgoing TCP dial, for DCUtR through cone NATs */
  tcpDialPort?: number
  /** JSON-line diagnostics (ids only) */
  log?: (msg: string, fields?: Record<string, unknown>) => void
  /** also serve the API over TCP (docs/remote.md); the token is `<home>/rpc.token`, created on first use */
  rpcTcp?: { host: string, port: number, insecure?: boolean }
}

export interface Daemon {
  readonly socketPath: string
  /** resolves once the daemon stopped */
  readonly stopped: Promise<void>
  isLocked: () => boolean
  /** the bound TCP API address when `rpcTcp` was given */
  tcpAddress: () => { host: string, port: number } | undefined
  /** Stops everything in reverse order; idempotent. */
  stop: () => Promise<void>
}

/** File in the home holding the TCP API token (docs/remote.md). */
export const TOKEN_FILE = 'rpc.token'
/** Random bytes in a new token (base64url: 43 characters). */
export const TOKEN_BYTES = 32

/**
 * The TCP API token of a home: read from `<home>/rpc.token` (first line), or created there (mode 0600, never
 * overwritten) with TOKEN_BYTES random bytes in base64url.
 */
export async function ensureRpcToken (home: string): Promise<string> {
  const path = join(home, TOKEN_FILE)
  const read = async (): Promise<string | undefined> => {
    try { return (await readFile(path, 'utf8')).split(/\r?\n/)[0]?.trim() } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
  }
  const existing = await read()
  if (existing !== undefined && existing !== '') return existing
  const token = randomBytes(TOKEN_BYTES).toString('base64url')
  try {
    await createFileExclusive(path, new TextEncoder().encode(token + '\n'))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  await chmod(path, 0o600)
  const now = await read()
  if (now === undefined || now === '') throw new Error(`${path} is empty`)
  return now
}

const PRIVATE_RE = /^\/(ip4\/(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)|ip6\/(::1|f[cd]))/
const isPrivateAddr = (a: string): boolean => PRIVATE_RE.test(a)

/** The store's event log as the RPC layer's EventSource (docs/API.md §Events). */
export function eventSourceOf (store: Store): EventSource {
  return {
    readAfter: async (cursor, limit) => (await store.events.readAfter(cursor, limit)).map(e => ({ cursor: e.cursor, type: e.type, data: e.data })),
    subscribe: (listener: (e: StoredEvent) => void) => store.events.subscribe(e => { listener({ cursor: e.cursor, type: e.type, data: e.data }) }),
    head: () => store.events.tail()
  }
}

interface Unlocked {
  store: Store
  host: NodeHost
  net: Libp2pNet
  messenger: Messenger
  config: TernConfig
  /** the relays in use: configured plus --bootstrap, multiaddr strings with /p2p/ */
  relays: string[]
  peerId: string
  fingerprint: string
  idle: IdleCollector
}

/** node.status `relays`: one entry per relay PeerId with its configured addresses and whether a reservation is held. */
function relayStatus (relays: string[], reserved: Set<string>): Array<{ peerId: string, addresses: string[], reserved: boolean }> {
  const byPeer = new Map<string, string[]>()
  for (const addr of relays) {
    const m = /\/p2p\/([^/]+)$/.exec(addr)
    if (m === null) continue
    const list = byPeer.get(m[1]) ?? []
    list.push(addr)
    byPeer.set(m[1], list)
  }
  return [...byPeer].slice(0, 64).map(([peerId, addresses]) => ({ peerId, addresses: addresses.slice(0, 64), reserved: reserved.has(peerId) }))
}

/** node.status `reachability` (docs/API.md): what this node's announced addresses say about how peers can reach it. */
function reachabilityOf (addresses: string[], hasReservation: boolean, connected: boolean): 'public' | 'relayed' | 'private' | 'offline' {
  if (!connected) return 'offline'
  const direct = addresses.filter(a => !a.includes('/p2p-circuit'))
  const isPublic = direct.some(a => {
    try { const ma = multiaddr(a); return !isPrivate(ma) && !isLoopback(ma) } catch { return false }
  })
  if (isPublic) return 'public'
  return hasReservation ? 'relayed' : 'private'
}

export async function runDaemon (init: DaemonInit): Promise<Daemon> {
  const home = init.home
  const log = init.log ?? (() => {})
  await ensureHome(home)
  const lock: HomeLock = await acquireHomeLock(home)
  const startedAt = Date.now()
  let node: Unlocked | undefined
  let opening: Promise<void> | undefined
  let stopping: Promise<void> | undefined
  let resolveStopped!: () => void
  const stopped = new Promise<void>(resolve => { resolveStopped = resolve })

  // The event source exists before the store: it forwards once unlocked (events.* answer LOCKED before that).
  const events: EventSource = {
    readAfter: async (c, n) => { if (node === undefined) throw new LockedError(); return await eventSourceOf(node.store).readAfter(c, n) },
    subscribe: (l) => { if (node === undefined) throw new LockedError(); return eventSourceOf(node.store).subscribe(l) },
    head: () => { if (node === undefined) throw new LockedError(); return node.store.events.tail() }
  }
  const dispatcher = new Dispatcher({
    isLocked: () => node === undefined,
    onInternalError: (err, method) => { log('rpc internal error', { method, error: (err as Error)?.name, code: (err as { code?: string })?.code }) }
  })

  const initialised = async (): Promise<boolean> => {
    const p = homePaths(home)
    return await stat(p.keys).then(() => true, () => false) || await stat(p.config).then(() => true, () => false)
  }

  const status = async (): Promise<Record<string, unknown>> => {
    if (node === undefined) return { locked: true, initialised: await initialised() }
    const conns = node.host.getConnections()
    const addresses = node.net.addresses().slice(0, 256)
    const reserved = reservedRelays(node.host)
    const relays = relayStatus(node.relays, reserved)
    return {
      locked: false,
      initialised: true,
      peerId: node.peerId,
      name: node.config.name,
      fingerprint: node.messenger.fingerprint,
      online: conns.length > 0,
      peers: new Set(conns.map(c => c.remotePeer.toString())).size,
      addresses,
      relays,
      connections: conns.length,
      reachability: reachabilityOf(addresses, reserved.size > 0, conns.length > 0),
      version: VERSION,
      uptimeSeconds: Math.floor((Date.now() - startedAt) / 1000)
    }
  }

  const open = async (keys: UnlockedKeys, config: TernConfig): Promise<void> => {
    let store: Store | undefined
    let host: NodeHost | undefined
    let net: Libp2pNet | undefined
    try {
      store = await openStore(homePaths(home).db, keys.dbKey, { cacheBytes: STORE_CACHE_BYTES })
      keys.dbKey.fill(0)
      const idBytes = keys.secrets[SECRET_IDENTITY]
      const ownerSeed = keys.secrets[SECRET_MAILBOX_OWNER]
      if (idBytes === undefined || ownerSeed === undefined) throw new LockedError('keystore lacks the node secrets')
      const identity = deserializeIdentity(idBytes)
      const raw = new Uint8Array(64)
      raw.set(identity.signing.secretKey); raw.set(identity.signing.publicKey, 32)
      const privateKey = privateKeyFromRaw(raw)
      raw.fill(0)
      const relays = [...new Set([...config.relays, ...(init.bootstrap ?? [])])]
      const listen = init.listen ?? config.listen
      const allowPrivate = init.allowPrivateAddresses ?? [...relays, ...(listen ?? [])].some(isPrivateAddr)
      host = await createNodeHost({ privateKey, listen, relays, relayOnly: init.relayOnly, allowPrivateAddresses: allowPrivate, tcpDialPort: init.tcpDialPort })
      const s = store
      net = new Libp2pNet({
        host,
        relays,
        relayOnly: init.relayOnly,
        ownerKey: { secretKey: new Uint8Array(ownerSeed), publicKey: ed25519PublicKey(ownerSeed) },
        queueStore: {
          load: async () => ((await s.getJson<string[]>(metaKey(QUEUES_KEY))) ?? []).map(q => fromBase64url(q)),
          save: async (ids) => { await s.batch().putJson(metaKey(QUEUES_KEY), ids.map(q => toBase64url(q))).write() }
        },
        log
      })
      const messenger = await Messenger.open({ store, identity, net, rng: systemRng, name: config.name, log: (o) => { log('core', o) } })
      await messenger.start()
      await net.start()
      const peerId = peerIdStringFromIdentity(identity.signing.publicKey)
      // every message, status move and presence change appends an event: the collector waits for them to stop
      const idle = new IdleCollector()
      store.events.subscribe(() => { idle.touch() })
      node = {
        store, host, net, messenger, config, relays, peerId, fingerprint: messenger.fingerprint, idle
      }
      registerHandlers()
      log('unlocked', { peerId, addresses: net.addresses() })
      watchReservations(host, relays)
    } catch (err) {
      await net?.stop().catch(() => {})
      await Promise.resolve(host?.stop()).catch(() => {})
      await store?.close().catch(() => {})
      throw err
    } finally {
      wipeKeys(keys)
    }
  }

  const watchReservations = (host: NodeHost, relays: string[]): void => {
    const seen = new Set<string>()
    const check = (): void => {
      for (const r of reservedRelays(host)) {
        if (!seen.has(r)) { seen.add(r); log('reserved', { relay: r }) }
      }
    }
    host.addEventListener('self:peer:update', check)
    check()
    void relays
  }

  const unlock = async (passphrase: string): Promise<void> => {
    if (node !== undefined) return
    const config = await readConfig(home)
    const keys = await unlockKeystore(home, passphrase)
    await open(keys, config)
  }

  const initNode = async (name: string, passphrase: string, relays: string[] = []): Promise<void> => {
    if (node !== undefined || await initialised()) throw new AlreadyInitializedError(homePaths(home).keys)
    // validated before any key is made: a bad relay address changes nothing (ERR_CONFIG → INVALID_PARAMS)
    const config = validateConfig({ version: CONFIG_VERSION, name, relays: [...new Set([...relays, ...(init.bootstrap ?? [])])] })
    const identity = generateIdentity(systemRng)
    const owner = ed25519KeyPair(systemRng)
    const keys = await initKeystore(home, passphrase, { [SECRET_IDENTITY]: serializeIdentity(identity), [SECRET_MAILBOX_OWNER]: owner.secretKey }, { kdf: init.kdf })
    identity.signing.secretKey.fill(0); identity.agreement.secretKey.fill(0); owner.secretKey.fill(0)
    const written = await writeConfig(home, { name: config.name, relays: config.relays }, { exclusive: true }).catch(async (e) => { wipeKeys(keys); throw e })
    await open(keys, written)
  }

  /** init/unlock one at a time. */
  const serial = async (fn: () => Promise<void>): Promise<void> => {
    while (opening !== undefined) await opening.catch(() => {})
    const p = fn()
    opening = p
    try { await p } finally { if (opening === p) opening = undefined }
  }

  dispatcher.register('node.status', status)
  dispatcher.register('node.unlock', async (p: { passphrase: string }) => { await serial(async () => { await unlock(p.passphrase) }); return await status() })
  dispatcher.register('node.init', async (p: { name: string, passphrase: string, relays?: string[] }) => {
    await serial(async () => { await initNode(p.name, p.passphrase, p.relays) })
    return await status()
  })

  const m = (): Messenger => { if (node === undefined) throw new LockedError(); return node.messenger }
  let registered = false
  const registerHandlers = (): void => {
    if (registered) return
    registered = true
    dispatcher.registerAll({
      'invite.create': async (p: { expiresInSeconds?: number }) => await m().createInvite(p),
      'contacts.add': async (p: { invite: string, name?: string }) => await m().addContact(p),
      'contacts.list': async () => ({ contacts: await m().listContacts() }),
      'contacts.get': async (p: { id: string }) => await m().getContact(p.id),
      'contacts.rename': async (p: { id: string, name: string }) => await m().renameContact(p.id, p.name),
      'contacts.block': async (p: { id: string }) => await m().blockContact(p.id),
      'contacts.unblock': async (p: { id: string }) => await m().unblockContact(p.id),
      'contacts.remove': async (p: { id: string }) => { await m().removeContact(p.id); return { removed: true } },
      'contacts.safetyNumber': async (p: { id: string }) => ({ safetyNumber: await m().safetyNumber(p.id) }),
      'contacts.verify': async (p: { id: string }) => await m().verifyContact(p.id),
      'messages.send': async (p: { to: string, text: string, idempotencyKey?: string }) => await m().send(p),
      'messages.list': async (p: { with: string, before?: number, limit?: number }) => ({ messages: await m().listMessages(p) }),
      'messages.markRead': async (p: { with: string, upTo: number }) => await m().markRead(p)
    })
  }

  let server: RpcServer
  try {
    if (init.rpcTcp !== undefined && !isLoopbackHost(init.rpcTcp.host) && init.rpcTcp.insecure !== true) {
      throw new InsecureListenError(`refusing to serve the API on non-loopback ${init.rpcTcp.host} without --rpc-tcp-insecure`)
    }
    const tcp = init.rpcTcp !== undefined
      ? { host: init.rpcTcp.host, port: init.rpcTcp.port, insecure: init.rpcTcp.insecure === true, token: await ensureRpcToken(home) }
      : undefined
    server = createRpcServer({
      dispatcher,
      events,
      home,
      tcp,
      log: (event, fields) => { if (event.includes('error')) log(event, { conn: fields.conn }) }
    })
    await server.start()
  } catch (err) {
    await lock.release()
    throw err
  }
  const tcpAddress = (): { host: string, port: number } | undefined => server.tcpAddress()
  log('listening', { socket: server.socketPath, ...(init.rpcTcp !== undefined ? { tcp: tcpAddress(), tokenFile: join(home, TOKEN_FILE) } : {}) })

  const stop = async (): Promise<void> => {
    if (stopping !== undefined) return await stopping
    stopping = (async () => {
      await opening?.catch(() => {})
      await server.stop().catch(() => {})
      const n = node
      node = undefined
      if (n !== undefined) {
        n.idle.stop()
        await n.messenger.stop().catch(() => {})
        await n.net.stop().catch(() => {})
        await Promise.resolve(n.host.stop()).catch(() => {})
        await n.store.close().catch(() => {})
      }
      await lock.release()
      log('stopped')
      resolveStopped()
    })()
    return await stopping
  }

  if (init.passphrase !== undefined) {
    if (await initialised()) {
      try {
        await serial(async () => { await unlock(init.passphrase as string) })
      } catch (err) {
        log('unlock failed', { code: (err as { code?: string }).code })
        if ((err as { code?: string }).code !== 'ERR_WRONG_PASSPHRASE') { await stop(); throw err }
      }
    } else {
      log('not initialised: waiting for node.init')
    }
  } else {
    log('locked')
  }

  return { socketPath: server.socketPath ?? `${home}/rpc.sock`, stopped, isLocked: () => node === undefined, tcpAddress, stop }
}

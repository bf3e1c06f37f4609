/**
 * The relay daemon's configuration: defaults, the JSON config file, and command-line flags (flags win).
 * Owns: the shape of relay.example.json and every limit's default (PROTOCOL.md §9, docs/deploy-relay.md).
 * Must not know: libp2p. relay.ts turns a RelayConfig into libp2p options.
 */
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { defaultMailboxLimits } from './mailbox/limits.js'

/** Default listen address: every IPv4 interface, TCP 4001 (PROTOCOL.md §9). */
export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/4001']
/** DHT protocol id: keeps Tern's DHT apart from the IPFS one (PROTOCOL.md §9). */
export const TERN_KAD_PROTOCOL = '/tern/kad/1.0.0'

/** Limits of the circuit relay v2 server (PROTOCOL.md §9). */
export interface RelayLimits {
  /** how many peers may hold a reservation at once; libp2p's default is 15 */
  maxReservations: number
  /** reservation lifetime in ms; clients refresh before it ends (libp2p default 2 h) */
  reservationTtlMs: number
  /** send a limit with each reservation; false relays without any data or duration cap */
  applyLimits: boolean
  /** bytes per relayed connection, both directions together; libp2p's default is 128 KiB */
  dataLimitBytes: number
  /** lifetime of one relayed connection in ms; libp2p's default is 120 s */
  durationLimitMs: number
  /** a hop request (reserve or connect) must complete within this many ms */
  hopTimeoutMs: number
  /** concurrent inbound hop streams per connection */
  maxInboundHopStreams: number
  /** concurrent outbound stop streams per connection (one per relayed connection to that peer) */
  maxOutboundStopStreams: number
}

/** Connection manager settings. */
export interface ConnectionLimits {
  /** total open connections before libp2p starts pruning */
  maxConnections: number
  /** inbound connections per second from one IP address before libp2p resets them */
  inboundConnectionThreshold: number
  /** inbound connections still upgrading at once */
  maxIncomingPendingConnections: number
  /** libp2p's connection monitor pings every connection every 10 s; it saturates a relay at ~1,000 peers */
  connectionMonitor: boolean
}

export interface RelayConfig {
  dataDir: string
  listen: string[]
  announce: string[]
  /** HOST:PORT for the Prometheus endpoint, or undefined for none */
  metrics?: string
  /** keep private and loopback addresses in DHT records (labs and loopback tests only) */
  allowPrivateAddresses: boolean
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  relay: RelayLimits
  connections: ConnectionLimits
  /** mailbox limits (bootstrap/mailbox/limits.ts, PROTOCOL.md §8); unset keys take the mailbox defaults */
  mailbox: Record<string, number>
  /** PeerId strings allowed to own a mailbox queue, or 'any' */
  mailboxOwners: 'any' | string[]
}

/** Flags of `tern relay`, as commander parses them. */
export interface RelayFlags {
  data?: string
  listen?: string[]
  announce?: string[]
  config?: string
  metrics?: string
  printAddress?: boolean
}

export const DEFAULT_RELAY_LIMITS: RelayLimits = {
  maxReservations: 15_000,
  reservationTtlMs: 2 * 60 * 60 * 1000,
  applyLimits: true,
  dataLimitBytes: 256 * 1024 * 1024,
  durationLimitMs: 24 * 60 * 60 * 1000,
  hopTimeoutMs: 30_000,
  maxInboundHopStreams: 32,
  maxOutboundStopStreams: 300
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxConnections: 18_000,
  inboundConnectionThreshold: 100,
  maxIncomingPendingConnections: 256,
  connectionMonitor: false
}

export class ConfigError extends Error {
  readonly code = 'ERR_RELAY_CONFIG'
  override readonly name = 'ConfigError'
}

/** The default data directory: systemd's $STATE_DIRECTORY, else $XDG_DATA_HOME/tern-relay, else ~/.local/share/tern-relay. */
export function defaultDataDir (env: NodeJS.ProcessEnv = process.env): string {
  const state = env.STATE_DIRECTORY?.split(':')[0]
  if (state !== undefined && state !== '') return state
  const xdg = env.XDG_DATA_HOME
  if (xdg !== undefined && xdg !== '') return join(xdg, 'tern-relay')
  return join(homedir(), '.local', 'share', 'tern-relay')
}

export function defaultConfig (env: NodeJS.ProcessEnv = process.env): RelayConfig {
  return {
    dataDir: defaultDataDir(env),
    listen: [...DEFAULT_LISTEN],
    announce: [],
    metrics: undefined,
    allowPrivateAddresses: false,
    logLevel: 'info',
    relay: { ...DEFAULT_RELAY_LIMITS },
    connections: { ...DEFAULT_CONNECTION_LIMITS },
    mailbox: {},
    mailboxOwners: 'any'
  }
}

/** Reads and validates a JSON config file (keys as in bootstrap/relay.example.json). */
export async function readConfigFile (path: string): Promise<Record<string, unknown>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`)
  }
  if (!isObject(parsed)) throw new ConfigError(`config file ${path} must hold a JSON object`)
  return parsed
}

/** defaults ← config file ← flags. Throws ConfigError on any unknown key or wrong type. */
export function resolveConfig (file: Record<string, unknown> | undefined, flags: RelayFlags, env: NodeJS.ProcessEnv = process.env): RelayConfig {
  const c = defaultConfig(env)
  if (file !== undefined) applyFile(c, file)
  if (flags.data !== undefined) c.dataDir = flags.data
  if (flags.listen !== undefined && flags.listen.length > 0) c.listen = [...flags.listen]
  if (flags.announce !== undefined && flags.announce.length > 0) c.announce = [...flags.announce]
  if (flags.metrics !== undefined) c.metrics = flags.metrics
  validate(c)
  return c
}

const TOP_KEYS = new Set(['$comment', 'dataDir', 'listen', 'announce', 'metrics', 'allowPrivateAddresses', 'logLevel', 'relay', 'connections', 'mailbox', 'mailboxOwners'])
const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])

function applyFile (c: RelayConfig, f: Record<string, unknown>): void {
  for (const k of Object.keys(f)) {
    if (!TOP_KEYS.has(k)) throw new ConfigError(`unknown config key "${k}"`)
  }
  if (f.dataDir !== undefined) c.dataDir = str(f.dataDir, 'dataDir')
  if (f.listen !== undefined) c.listen = strList(f.listen, 'listen')
  if (f.announce !== undefined) c.announce = strList(f.announce, 'announce')
  if (f.metrics !== undefined && f.metrics !== null) c.metrics = str(f.metrics, 'metrics')
  if (f.allowPrivateAddresses !== undefined) c.allowPrivateAddresses = bool(f.allowPrivateAddresses, 'allowPrivateAddresses')
  if (f.logLevel !== undefined) {
    const l = str(f.logLevel, 'logLevel')
    if (!LOG_LEVELS.has(l)) throw new ConfigError(`logLevel must be one of ${[...LOG_LEVELS].join(', ')}`)
    c.logLevel = l as RelayConfig['logLevel']
  }
  if (f.relay !== undefined) c.relay = mergeSection(c.relay, f.relay, 'relay')
  if (f.connections !== undefined) c.connections = mergeSection(c.connections, f.connections, 'connections')
  if (f.mailbox !== undefined) {
    const m = mergeSection<Record<string, number>>({ ...defaultMailboxLimits }, f.mailbox, 'mailbox')
    c.mailbox = {}
    for (const [k, v] of Object.entries(m)) {
      if (v !== (defaultMailboxLimits as Record<string, number>)[k]) c.mailbox[k] = v
    }
  }
  if (f.mailboxOwners !== undefined) {
    c.mailboxOwners = f.mailboxOwners === 'any' ? 'any' : strList(f.mailboxOwners, 'mailboxOwners')
  }
}

/** Merges a section, keeping each default's type (number or boolean) and refusing unknown keys. */
function mergeSection<T extends object> (defaults: T, value: unknown, name: string): T {
  if (!isObject(value)) throw new ConfigError(`${name} must be an object`)
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) }
  for (const [k, v] of Object.entries(value)) {
    if (k === '$comment') continue
    if (!(k in out)) throw new ConfigError(`unknown config key "${name}.${k}"`)
    if (typeof v !== typeof out[k]) throw new ConfigError(`${name}.${k} must be a ${typeof out[k]}`)
    out[k] = v
  }
  return out as T
}

function validate (c: RelayConfig): void {
  if (c.dataDir === '') throw new ConfigError('dataDir must not be empty')
  if (c.listen.length === 0) throw new ConfigError('at least one listen address is needed')
  for (const a of [...c.listen, ...c.announce]) {
    try { multiaddr(a) } catch { throw new ConfigError(`not a multiaddr: ${a}`) }
  }
  if (c.metrics !== undefined) parseHostPort(c.metrics)
  const r = c.relay
  positiveInt(r.maxReservations, 'relay.maxReservations')
  positiveInt(r.reservationTtlMs, 'relay.reservationTtlMs')
  positiveInt(r.dataLimitBytes, 'relay.dataLimitBytes')
  positiveInt(r.durationLimitMs, 'relay.durationLimitMs')
  // the limit travels as a uint32 on the wire (circuit v2 Limit.duration)
  if (r.durationLimitMs > 0xffff_ffff) throw new ConfigError('relay.durationLimitMs must fit in 32 bits')
  positiveInt(r.hopTimeoutMs, 'relay.hopTimeoutMs')
  positiveInt(r.maxInboundHopStreams, 'relay.maxInboundHopStreams')
  positiveInt(r.maxOutboundStopStreams, 'relay.maxOutboundStopStreams')
  for (const [k, v] of Object.entries(c.mailbox)) {
    // sweepIntervalMs may be 0 (periodic sweep off)
    if (!Number.isSafeInteger(v) || v < 0 || (v === 0 && k !== 'sweepIntervalMs')) throw new ConfigError(`mailbox.${k} must be a positive integer`)
  }
  positiveInt(c.connections.maxConnections, 'connections.maxConnections')
  positiveInt(c.connections.inboundConnectionThreshold, 'connections.inboundConnectionThreshold')
  positiveInt(c.connections.maxIncomingPendingConnections, 'connections.maxIncomingPendingConnections')
}

/** "HOST:PORT" or "[v6]:PORT" → { host, port }. */
export function parseHostPort (s: string): { host: string, port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(s)
  if (m === null) throw new ConfigError(`metrics address must be HOST:PORT, got "${s}"`)
  const port = Number(m[2])
  if (port > 65535) throw new ConfigError(`metrics port out of range: ${port}`)
  return { host: m[1] === '' ? '127.0.0.1' : m[1], port }
}

function positiveInt (n: number, name: string): void {
  if (!Number.isSafeInteger(n) || n <= 0) throw new ConfigError(`${name} must be a positive integer`)
}
function isObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
function str (v: unknown, name: string): string {
  if (typeof v !== 'string') throw new ConfigError(`${name} must be a string`)
  return v
}
function bool (v: unknown, name: string): boolean {
  if (typeof v !== 'boolean') throw new ConfigError(`${name} must be a boolean`)
  return v
}
function strList (v: unknown, name: string): string[] {
  if (!Array.isArray(v) || !v.every(x => typeof x === 'string')) throw new ConfigError(`${name} must be a list of strings`)
  return [...v] as string[]
}

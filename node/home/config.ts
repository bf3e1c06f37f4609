/**
 * `<home>/config.json`: the node's non-secret settings (display name, relays). Owns its validation and its atomic
 * write; knows nothing of keys. Unknown fields are kept as they are (a newer Tern may have written them).
 *   { "version": 1, "name": "Alice", "relays": ["/ip4/203.0.113.7/tcp/4001/p2p/12D3Koo..."], "listen"?: [...] }
 */
import { multiaddr } from '@multiformats/multiaddr'
import { ConfigError, AlreadyInitializedError, type ConfigIssue } from '../errors.js'
import { homePaths, ensureHome } from './paths.js'
import { writeFileAtomic, createFileExclusive, isErrno, readHomeFile } from './atomic.js'

/** config.json version written by this code. */
export const CONFIG_VERSION = 1
/** Longest display name, in characters (code points). */
export const MAX_NAME_CHARS = 64
/** Most relays in a config. */
export const MAX_RELAYS = 32
/** Longest multiaddr string. */
export const MAX_MULTIADDR_CHARS = 1024

export interface TernConfig {
  version: typeof CONFIG_VERSION
  /** Display name shown to contacts. */
  name: string
  /** Relay multiaddrs, each with a /p2p/<peerId> component. */
  relays: string[]
  /** Listen multiaddrs (optional; the daemon picks defaults). */
  listen?: string[]
  [extra: string]: unknown
}

/** What callers pass to writeConfig: `version` is filled in. */
export type ConfigInput = Omit<TernConfig, 'version'> & { version?: typeof CONFIG_VERSION }

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/

function checkMultiaddr (field: string, v: unknown, needPeer: boolean, issues: ConfigIssue[]): void {
  if (typeof v !== 'string' || v === '') { issues.push({ field, problem: 'expected a multiaddr string' }); return }
  if (v.length > MAX_MULTIADDR_CHARS) { issues.push({ field, problem: 'too long' }); return }
  try {
    const ma = multiaddr(v)
    ma.bytes // eslint-disable-line @typescript-eslint/no-unused-expressions -- forces full encoding
    if (needPeer && !ma.getComponents().some(c => c.name === 'p2p' && (c.value ?? '') !== '')) {
      issues.push({ field, problem: 'a relay address needs a /p2p/<peerId> component' })
    }
  } catch (e) {
    issues.push({ field, problem: `not a valid multiaddr (${e instanceof Error ? e.message : String(e)})` })
  }
}

function checkList (field: string, v: unknown, needPeer: boolean, issues: ConfigIssue[]): void {
  if (!Array.isArray(v)) { issues.push({ field, problem: 'expected an array of multiaddr strings' }); return }
  if (v.length > MAX_RELAYS) issues.push({ field, problem: `more than ${MAX_RELAYS} entries` })
  v.forEach((a, i) => checkMultiaddr(`${field}[${i}]`, a, needPeer, issues))
}

/** Validates a parsed config; throws ConfigError listing every bad field. Returns it typed. */
export function validateConfig (v: unknown): TernConfig {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ConfigError([{ field: '(file)', problem: 'expected a JSON object' }])
  }
  const o = v as Record<string, unknown>
  const issues: ConfigIssue[] = []
  if (o.version !== CONFIG_VERSION) issues.push({ field: 'version', problem: `expected ${CONFIG_VERSION}` })
  if (typeof o.name !== 'string') issues.push({ field: 'name', problem: 'expected a string' })
  else if (o.name.trim() === '') issues.push({ field: 'name', problem: 'must not be empty' })
  else if ([...o.name].length > MAX_NAME_CHARS) issues.push({ field: 'name', problem: `longer than ${MAX_NAME_CHARS} characters` })
  else if (CONTROL.test(o.name)) issues.push({ field: 'name', problem: 'contains control characters' })
  checkList('relays', o.relays, true, issues)
  if (o.listen !== undefined) checkList('listen', o.listen, false, issues)
  if (issues.length > 0) throw new ConfigError(issues)
  return o as TernConfig
}

/** Reads and validates `<home>/config.json`. NotInitializedError if missing; ConfigError if invalid. */
export async function readConfig (home: string): Promise<TernConfig> {
  const path = homePaths(home).config
  const text = await readHomeFile(path)
  let v: unknown
  try { v = JSON.parse(text) } catch { throw new ConfigError([{ field: '(file)', problem: 'not valid JSON' }]) }
  return validateConfig(v)
}

export interface WriteConfigOptions {
  /** Fail with AlreadyInitializedError instead of replacing an existing config.json (for `tern init`). */
  exclusive?: boolean
}

/** Validates and atomically writes `<home>/config.json` (mode 0600). Returns what was written. */
export async function writeConfig (home: string, config: ConfigInput, opts: WriteConfigOptions = {}): Promise<TernConfig> {
  const full = validateConfig({ ...config, version: CONFIG_VERSION })
  const path = homePaths(home).config
  await ensureHome(home)
  const text = JSON.stringify(full, null, 2) + '\n'
  if (opts.exclusive === true) {
    try {
      await createFileExclusive(path, text)
    } catch (e) {
      if (isErrno(e, 'EEXIST')) throw new AlreadyInitializedError(path)
      throw e
    }
  } else {
    await writeFileAtomic(path, text)
  }
  return full
}

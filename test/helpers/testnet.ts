/**
 * A real local testnet for node integration tests: one `tern relay` process and N `tern daemon` processes, each in
 * its own temp home on 127.0.0.1/tcp/0, with an RPC client per daemon. Everything is stopped by PID and every temp
 * dir removed at teardown. Homes are initialised in-process (same code as `tern init`) with a cheap test KDF.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { initHome } from '../../node/home/index.js'
import { connect, type RpcClient, type RpcEvent } from '../../node/rpc/index.js'
import { SECRET_IDENTITY, SECRET_MAILBOX_OWNER } from '../../node/daemon.js'
import { ed25519KeyPair, systemRng } from '../../protocol/crypto/index.js'
import { generateIdentity, serializeIdentity, peerIdStringFromIdentity } from '../../protocol/identity/index.js'
import { REPO_ROOT, spawnRelay, type RelayProcess } from './relay-process.js'

export const TEST_PASSPHRASE = 'correct horse battery staple'
/** log2 scrypt N for test keystores */
export const TEST_KDF_LOG_N = 10

interface Teardown { teardown: (fn: () => unknown) => void }

export interface DaemonOptions {
  relayOnly?: boolean
  /** give the passphrase at start (default true) */
  unlock?: boolean
  extraArgs?: string[]
  env?: Record<string, string>
  /** node options before the script (e.g. ['--cpu-prof']) */
  nodeArgs?: string[]
}

export class TestDaemon {
  proc: ChildProcess | undefined
  lines: string[] = []
  stderr = ''
  client: RpcClient | undefined
  private exited: Promise<number | null> = Promise.resolve(null)
  private waiters: Array<() => void> = []
  private readonly killOnExit = (): void => { try { if (this.proc?.pid !== undefined) process.kill(this.proc.pid, 'SIGKILL') } catch {} }

  constructor (readonly home: string, readonly relayAddr: string | undefined, public opts: DaemonOptions, public peerId = '') {}

  get pid (): number { return this.proc?.pid ?? -1 }
  get socketPath (): string { return join(this.home, 'rpc.sock') }
  get running (): boolean { return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null }

  /** Spawns `tern daemon` and waits for `listening` (and `unlocked` when a passphrase is given), then connects. */
  async start (timeoutMs = 60_000): Promise<void> {
    const unlock = this.opts.unlock !== false
    // TERN_TEST_DAEMON_BIN: run a compiled cli/bin.js instead of the sources under tsx (benchmarks: tsx adds ~60 MB RSS)
    const bin = process.env.TERN_TEST_DAEMON_BIN
    const args = [...(this.opts.nodeArgs ?? []), ...(bin !== undefined && bin !== '' ? [bin] : ['--import=tsx', join(REPO_ROOT, 'cli', 'bin.ts')]), 'daemon', '--home', this.home, '--listen', '/ip4/127.0.0.1/tcp/0',
      ...(this.relayAddr !== undefined ? ['--bootstrap', this.relayAddr] : []), ...(this.opts.relayOnly === true ? ['--relay-only'] : []),
      ...(this.opts.extraArgs ?? [])]
    const env: Record<string, string | undefined> = { ...process.env, TERN_TEST_KDF_LOG_N: String(TEST_KDF_LOG_N), ...this.opts.env }
    if (unlock) env.TERN_PASSPHRASE = TEST_PASSPHRASE
    else delete env.TERN_PASSPHRASE
    this.lines = []
    this.stderr = ''
    const proc = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    this.proc = proc
    process.once('exit', this.killOnExit)
    let buf = ''
    proc.stdout?.setEncoding('utf8').on('data', (c: string) => {
      buf += c
      let i: number
      while ((i = buf.indexOf('\n')) >= 0) { this.lines.push(buf.slice(0, i)); buf = buf.slice(i + 1) }
      for (const w of this.waiters.splice(0)) w()
    })
    proc.stderr?.setEncoding('utf8').on('data', (c: string) => { this.stderr += c })
    this.exited = new Promise(resolve => proc.on('exit', (code) => {
      process.off('exit', this.killOnExit)
      for (const w of this.waiters.splice(0)) w()
      resolve(code)
    }))
    await this.waitForLog(o => o.msg === (unlock ? 'unlocked' : 'locked'), timeoutMs)
    this.client = await connect({ socketPath: this.socketPath })
  }

  /** Resolves with the first stdout JSON line satisfying pred. */
  async waitForLog (pred: (o: Record<string, unknown>) => boolean, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const until = Date.now() + timeoutMs
    let seen = 0
    for (;;) {
      for (; seen < this.lines.length; seen++) {
        try { const o = JSON.parse(this.lines[seen]) as Record<string, unknown>; if (pred(o)) return o } catch {}
      }
      if (!this.running) throw new Error(`daemon exited; stdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`)
      if (Date.now() > until) throw new Error(`timed out waiting for a log line; stdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`)
      await new Promise<void>(resolve => {
        const t = setTimeout(resolve, Math.max(1, until - Date.now()))
        this.waiters.push(() => { clearTimeout(t); resolve() })
      })
    }
  }

  async call<R = any> (method: string, params?: Record<string, unknown>): Promise<R> {
    if (this.client === undefined) throw new Error('not started')
    return await this.client.call<R>(method, params)
  }

  /** Stops by PID (SIGTERM, then SIGKILL after timeoutMs); returns the exit code. */
  async stop (sig: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<number | null> {
    await this.client?.close().catch(() => {})
    this.client = undefined
    if (!this.running) return this.proc?.exitCode ?? null
    process.kill(this.pid, sig)
    const t = setTimeout(() => { if (this.running) process.kill(this.pid, 'SIGKILL') }, timeoutMs)
    const code = await this.exited
    clearTimeout(t)
    return code
  }
}

/** Initialises a home in-process (what `tern init` does) and returns its PeerId. */
export async function initTestHome (home: string, name: string, relays: string[]): Promise<string> {
  const identity = generateIdentity(systemRng)
  const owner = ed25519KeyPair(systemRng)
  await initHome(home, {
    config: { name, relays },
    passphrase: TEST_PASSPHRASE,
    secrets: { [SECRET_IDENTITY]: serializeIdentity(identity), [SECRET_MAILBOX_OWNER]: owner.secretKey },
    kdf: { N: 2 ** TEST_KDF_LOG_N }
  })
  return peerIdStringFromIdentity(identity.signing.publicKey)
}

export interface Testnet {
  relay: RelayProcess
  nodes: TestDaemon[]
  dir: string
}

/** Starts a relay and `names.length` initialised, unlocked daemons. */
export async function startTestnet (t: Teardown, names: string[], opts: DaemonOptions = {}): Promise<Testnet> {
  const dir = mkdtempSync(join(tmpdir(), 'tern-testnet-'))
  const cfg = join(dir, 'relay.json')
  writeFileSync(cfg, JSON.stringify({ allowPrivateAddresses: true }))
  const nodes: TestDaemon[] = []
  let relay: RelayProcess | undefined
  t.teardown(async () => {
    for (const n of nodes) await n.stop().catch(() => {})
    await relay?.cleanup().catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  })
  relay = await spawnRelay({ args: ['--config', cfg], dataDir: join(dir, 'relay') })
  const relayAddr = relay.addrs[0]
  for (const name of names) {
    const home = join(dir, name.toLowerCase())
    const peerId = await initTestHome(home, name, [])
    nodes.push(new TestDaemon(home, relayAddr, { ...opts }, peerId))
  }
  await Promise.all(nodes.map(async n => { await n.start() }))
  return { relay, nodes, dir }
}

/** Collects event notifications of a client. */
export function collectEvents (client: RpcClient): RpcEvent[] {
  const events: RpcEvent[] = []
  client.on('event', (e: RpcEvent) => { events.push(e) })
  return events
}

export async function until<T> (fn: () => T | Promise<T>, what: string, timeoutMs = 30_000, everyMs = 50): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined && v !== null && v !== false) return v as NonNullable<T>
    if (Date.now() > end) throw new Error(`timed out: ${what}`)
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
}

/** Alice invites, Bob adds; resolves when both see the other as established. Returns the contact ids. */
export async function befriend (a: TestDaemon, b: TestDaemon): Promise<{ aSeesB: string, bSeesA: string, invite: string }> {
  const { invite } = await a.call<{ invite: string }>('invite.create')
  const added = await b.call<{ id: string }>('contacts.add', { invite, name: 'A' })
  const aSeesB = await until(async () => {
    const { contacts } = await a.call<{ contacts: Array<{ id: string, peerId: string, state: string }> }>('contacts.list')
    return contacts.find(c => c.peerId === b.peerId && c.state === 'established')?.id
  }, 'A sees B established')
  await until(async () => (await b.call<{ state: string }>('contacts.get', { id: added.id })).state === 'established', 'B sees A established')
  return { aSeesB, bSeesA: added.id, invite }
}

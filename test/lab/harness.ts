/**
 * The NAT lab's processes (docs/lab.md): one `tern relay` on the lab internet and one `tern daemon` in each home,
 * each started inside its namespace with `ip netns exec`, stopped by PID; the test process (root namespace) talks to
 * the daemons over their Unix RPC sockets on the shared filesystem. Owns: process lifecycle, timing helpers and the
 * `lab: <scenario> <ok|FAIL> <timings>` line. Must not know: how the network is built (netlab.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, type RpcClient } from '../../node/rpc/index.js'
import { REPO_ROOT } from '../helpers/relay-process.js'
import { initTestHome, TEST_KDF_LOG_N, TEST_PASSPHRASE, until } from '../helpers/testnet.js'
import { buildLab, RELAY_IP, type Lab, type NatMode } from './netlab.js'

export { until }

/** TCP port the relay listens on inside the lab. */
export const RELAY_PORT = 4001
/** TCP port each daemon listens on in its home. */
export const DAEMON_PORT = 4002
/** Local port of every outgoing dial when hole punching is on (TERN_TCP_DIAL_PORT). */
export const DIAL_PORT = 40123

interface Teardown { teardown: (fn: () => unknown) => void }

/** A process inside a lab namespace whose stdout is JSON lines. */
export class LabProc {
  proc: ChildProcess | undefined
  lines: string[] = []
  stderr = ''
  startedAt = 0
  private waiters: Array<() => void> = []
  private exited: Promise<number | null> = Promise.resolve(null)
  private readonly killOnExit = (): void => { try { if (this.proc?.pid !== undefined) process.kill(this.proc.pid, 'SIGKILL') } catch {} }

  constructor (readonly name: string, readonly argv: string[], readonly env: Record<string, string>) {}

  get running (): boolean { return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null }

  start (): void {
    this.lines = []
    this.stderr = ''
    this.startedAt = Date.now()
    // `ip netns exec` execs the program: the PID is node's own
    const proc = spawn(this.argv[0], this.argv.slice(1), { cwd: REPO_ROOT, env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    this.proc = proc
    process.once('exit', this.killOnExit)
    let buf = ''
    proc.stdout?.setEncoding('utf8').on('data', (c: string) => {
      buf += c
      let i: number
      while ((i = buf.indexOf('\n')) >= 0) { this.lines.push(`${Date.now()} ${buf.slice(0, i)}`); buf = buf.slice(i + 1) }
      for (const w of this.waiters.splice(0)) w()
    })
    proc.stderr?.setEncoding('utf8').on('data', (c: string) => { this.stderr = (this.stderr + c).slice(-100_000) })
    this.exited = new Promise(resolve => proc.on('exit', (code) => {
      process.off('exit', this.killOnExit)
      for (const w of this.waiters.splice(0)) w()
      resolve(code)
    }))
  }

  /** The first JSON line (from index `from`) satisfying pred, with the time it was read. */
  async waitForLog (pred: (o: Record<string, unknown>) => boolean, timeoutMs = 30_000, from = 0): Promise<{ at: number, o: Record<string, unknown> }> {
    const end = Date.now() + timeoutMs
    let seen = from
    for (;;) {
      for (; seen < this.lines.length; seen++) {
        const line = this.lines[seen]
        const sp = line.indexOf(' ')
        try { const o = JSON.parse(line.slice(sp + 1)) as Record<string, unknown>; if (pred(o)) return { at: Number(line.slice(0, sp)), o } } catch {}
      }
      if (!this.running) throw new Error(`${this.name} exited; stdout:\n${this.lines.slice(-30).join('\n')}\nstderr:\n${this.stderr}`)
      if (Date.now() > end) throw new Error(`${this.name}: timed out waiting for a log line; stdout:\n${this.lines.slice(-30).join('\n')}\nstderr:\n${this.stderr.slice(-3000)}`)
      await new Promise<void>(resolve => {
        const t = setTimeout(resolve, Math.max(1, end - Date.now()))
        this.waiters.push(() => { clearTimeout(t); resolve() })
      })
    }
  }

  async stop (sig: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<void> {
    if (!this.running || this.proc?.pid === undefined) return
    const pid = this.proc.pid
    process.kill(pid, sig)
    const t = setTimeout(() => { try { process.kill(pid, 'SIGKILL') } catch {} }, timeoutMs)
    await this.exited
    clearTimeout(t)
  }
}

export class LabDaemon extends LabProc {
  client: RpcClient | undefined
  constructor (name: string, argv: string[], env: Record<string, string>, readonly home: string, readonly peerId: string) { super(name, argv, env) }

  async open (): Promise<void> {
    await this.waitForLog(o => o.msg === 'unlocked', 60_000)
    this.client = await connect({ socketPath: join(this.home, 'rpc.sock') })
  }

  async call<R = any> (method: string, params?: Record<string, unknown>): Promise<R> {
    if (this.client === undefined) throw new Error(`${this.name}: not open`)
    return await this.client.call<R>(method, params)
  }

  override async stop (sig: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<void> {
    await this.client?.close().catch(() => {})
    this.client = undefined
    await super.stop(sig, timeoutMs)
  }
}

export interface LabNet {
  lab: Lab
  relay: LabProc
  relayAddr: string
  a: LabDaemon
  b: LabDaemon
  dir: string
}

export interface LabOptions {
  /** bind every outgoing dial to DIAL_PORT (TERN_TCP_DIAL_PORT): needed for DCUtR through cone NATs */
  holePunch?: boolean
}

const tern = (...args: string[]): string[] => [process.execPath, '--import=tsx', join(REPO_ROOT, 'cli', 'bin.ts'), ...args]

/** Builds the network, starts the relay and both daemons (not waiting for reservations). Torn down by `t`. */
export async function startLab (t: Teardown, mode: NatMode, opts: LabOptions = {}): Promise<LabNet> {
  const lab = buildLab(mode)
  const dir = mkdtempSync(join(tmpdir(), `tern-lab-${lab.prefix}-`))
  const procs: LabProc[] = []
  t.teardown(async () => {
    for (const p of procs) await p.stop('SIGTERM', 5_000).catch(() => {})
    try { lab.teardown() } finally { rmSync(dir, { recursive: true, force: true }) }
  })
  const relay = new LabProc('relay', lab.wrap(lab.ns.relay, tern('relay', '--data', join(dir, 'relay'), '--listen', `/ip4/0.0.0.0/tcp/${RELAY_PORT}`,
    '--announce', `/ip4/${RELAY_IP}/tcp/${RELAY_PORT}`)), {})
  procs.push(relay)
  relay.start()
  const listening = await relay.waitForLog(o => o.msg === 'listening', 30_000)
  const addrs = (listening.o.addrs as string[] | undefined) ?? []
  const relayAddr = addrs.find(a => a.startsWith(`/ip4/${RELAY_IP}/`))
  if (relayAddr === undefined) throw new Error(`relay announced no ${RELAY_IP} address: ${JSON.stringify(addrs)}`)
  const mk = async (name: string, ns: string): Promise<LabDaemon> => {
    const home = join(dir, name.toLowerCase())
    const peerId = await initTestHome(home, name, [relayAddr])
    const env: Record<string, string> = { TERN_PASSPHRASE: TEST_PASSPHRASE, TERN_TEST_KDF_LOG_N: String(TEST_KDF_LOG_N) }
    if (opts.holePunch === true) env.TERN_TCP_DIAL_PORT = String(DIAL_PORT)
    const d = new LabDaemon(name, lab.wrap(ns, tern('daemon', '--home', home, '--listen', `/ip4/0.0.0.0/tcp/${DAEMON_PORT}`)), env, home, peerId)
    procs.push(d)
    return d
  }
  const a = await mk('Alice', lab.ns.a)
  const b = await mk('Bob', lab.ns.b)
  a.start(); b.start()
  await Promise.all([a.open(), b.open()])
  return { lab, relay, relayAddr, a, b, dir }
}

/** Restarts the relay with the same data directory (same identity) and waits for its listening line. */
export async function restartRelay (net: LabNet): Promise<number> {
  await net.relay.stop('SIGTERM')
  const t0 = Date.now()
  net.relay.start()
  await net.relay.waitForLog(o => o.msg === 'listening', 30_000)
  return Date.now() - t0
}

/** ms from the daemon's RPC socket being up (`listening`, before unlock and libp2p start) to its reservation. */
export async function reservationMs (d: LabDaemon, timeoutMs = 30_000): Promise<number> {
  const up = await d.waitForLog(o => o.msg === 'listening', timeoutMs)
  const r = await d.waitForLog(o => o.msg === 'reserved', timeoutMs)
  return r.at - up.at
}

/** node.status relays[].reserved for the lab relay. */
export async function isReserved (d: LabDaemon): Promise<boolean> {
  const s = await d.call<{ relays?: Array<{ reserved: boolean }> }>('node.status')
  return (s.relays ?? []).some(r => r.reserved)
}

export interface Msg { id: string, seq: number, direction: string, text: string, status: string, path: string | null }

export async function messages (d: LabDaemon, withId: string, limit = 200): Promise<Msg[]> {
  return (await d.call<{ messages: Msg[] }>('messages.list', { with: withId, limit })).messages
}

/** Alice invites, Bob adds; both established. Returns the contact ids. */
export async function befriend (a: LabDaemon, b: LabDaemon, timeoutMs = 60_000): Promise<{ aSeesB: string, bSeesA: string }> {
  const { invite } = await a.call<{ invite: string }>('invite.create')
  const added = await b.call<{ id: string }>('contacts.add', { invite, name: a.name })
  const aSeesB = await until(async () => {
    const { contacts } = await a.call<{ contacts: Array<{ id: string, peerId: string, state: string }> }>('contacts.list')
    return contacts.find(c => c.peerId === b.peerId && c.state === 'established')?.id
  }, `${a.name} sees ${b.name} established`, timeoutMs, 100)
  await until(async () => (await b.call<{ state: string }>('contacts.get', { id: added.id })).state === 'established', `${b.name} sees ${a.name} established`, timeoutMs, 100)
  return { aSeesB, bSeesA: added.id }
}

/** Sends `text` and waits until the receiver lists it; returns the receiver's copy and the ms it took. */
export async function sendAndReceive (from: LabDaemon, toId: string, to: LabDaemon, fromIdAtTo: string, text: string, timeoutMs = 30_000): Promise<{ msg: Msg, ms: number }> {
  const t0 = Date.now()
  await from.call('messages.send', { to: toId, text })
  const msg = await until(async () => (await messages(to, fromIdAtTo)).find(m => m.direction === 'in' && m.text === text), `${to.name} receives "${text}"`, timeoutMs, 50)
  return { msg, ms: Date.now() - t0 }
}

/** The `lab:` result line CI logs show. */
export function report (scenario: string, ok: boolean, timings: Record<string, number | string>): void {
  const parts = Object.entries(timings).map(([k, v]) => `${k}=${typeof v === 'number' ? `${Math.round(v)}ms` : v}`)
  console.log(`lab: ${scenario} ${ok ? 'ok' : 'FAIL'} ${parts.join(' ')}`)
}

/**
 * What `tern` (no subcommand) does before it draws: find the daemon that serves a home, or start one. A live
 * `<home>/rpc.sock` means a daemon runs: connect and leave it alone. Otherwise start `tern daemon --home H` as a
 * detached child in LOCKED mode (no passphrase: the TUI unlocks or initialises through the API), logging to
 * `<home>/daemon.log`, wait for its socket, and hand back a handle that stops it (SIGTERM, wait, SIGKILL).
 * Owns: the probe, the spawn and the stop. Must not know: the TUI or the API beyond connect().
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import net from 'node:net'
import { dirname, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureHome, readConfig, writeConfig } from '../node/home/index.js'
import { SOCKET_FILE, connect, type RpcClient } from '../node/rpc/index.js'

/** How long to wait for a started daemon's socket (ms). */
export const DAEMON_START_TIMEOUT_MS = 30_000
/** How long a stopped daemon gets after SIGTERM before SIGKILL (ms). */
export const DAEMON_STOP_TIMEOUT_MS = 15_000
/** How long a socket probe may take (ms). */
export const PROBE_TIMEOUT_MS = 1_000
/** The log file of a daemon started by the launcher, in its home. */
export const DAEMON_LOG_FILE = 'daemon.log'
/** Environment variable that would unlock a daemon at start; the launcher removes it (the TUI unlocks). */
const PASSPHRASE_ENV = 'TERN_PASSPHRASE'

export interface OwnedDaemon {
  readonly pid: number
  readonly socketPath: string
  /** SIGTERM, then SIGKILL after DAEMON_STOP_TIMEOUT_MS; resolves once it exited. Idempotent. */
  stop: () => Promise<void>
  /** true while the process runs */
  running: () => boolean
}

export interface Launched {
  client: RpcClient
  /** set when this launcher started the daemon (and so should stop it) */
  daemon?: OwnedDaemon
}

/** True if something accepts connections on the Unix socket. */
export async function probeSocket (socketPath: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  return await new Promise<boolean>(resolve => {
    const s = net.connect(socketPath)
    const done = (v: boolean): void => { clearTimeout(timer); s.destroy(); resolve(v) }
    const timer = setTimeout(() => { done(false) }, timeoutMs)
    s.once('connect', () => { done(true) })
    s.once('error', () => { done(false) })
  })
}

/** The `tern` entry point next to this module (bin.ts under tsx, bin.js when built). */
function binPath (): string {
  const self = fileURLToPath(import.meta.url)
  return join(dirname(self), 'bin' + extname(self))
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

function tail (path: string, max = 2000): string {
  try { const s = readFileSync(path, 'utf8'); return s.slice(-max) } catch { return '' }
}

/** Starts `tern daemon --home H` detached and locked; resolves once its socket answers. */
export async function startDaemon (home: string, opts: { timeoutMs?: number, extraArgs?: string[] } = {}): Promise<OwnedDaemon> {
  await ensureHome(home)
  const socketPath = join(home, SOCKET_FILE)
  const logPath = join(home, DAEMON_LOG_FILE)
  const env: Record<string, string | undefined> = { ...process.env }
  delete env[PASSPHRASE_ENV]
  const fd = openSync(logPath, 'a', 0o600)
  let child: ChildProcess
  try {
    child = spawn(process.execPath, [...process.execArgv, binPath(), 'daemon', '--home', home, ...(opts.extraArgs ?? [])], {
      detached: true, env, stdio: ['ignore', fd, fd]
    })
  } finally {
    closeSync(fd)
  }
  let exited = child.exitCode !== null
  const exit = new Promise<void>(resolve => {
    child.once('exit', () => { exited = true; resolve() })
    child.once('error', () => { exited = true; resolve() })
  })
  child.unref()
  const pid = child.pid ?? -1
  let stopping: Promise<void> | undefined
  const daemon: OwnedDaemon = {
    pid,
    socketPath,
    running: () => !exited,
    stop: async () => {
      stopping ??= (async () => {
        if (exited) return
        try { process.kill(pid, 'SIGTERM') } catch { return }
        const timer = setTimeout(() => { try { process.kill(pid, 'SIGKILL') } catch {} }, DAEMON_STOP_TIMEOUT_MS)
        await exit
        clearTimeout(timer)
      })()
      await stopping
    }
  }
  const until = Date.now() + (opts.timeoutMs ?? DAEMON_START_TIMEOUT_MS)
  for (;;) {
    if (await probeSocket(socketPath)) return daemon
    if (exited) throw new Error(`the daemon exited before serving ${socketPath}; ${logPath} ends with:\n${tail(logPath)}`)
    if (Date.now() > until) {
      await daemon.stop()
      throw new Error(`the daemon did not serve ${socketPath} in time; see ${logPath}`)
    }
    await sleep(100)
  }
}

/** Connects to the daemon serving `home`, starting one first if none does. */
export async function connectOrLaunch (home: string, opts: { timeoutMs?: number } = {}): Promise<Launched> {
  const socketPath = join(home, SOCKET_FILE)
  if (await probeSocket(socketPath)) return { client: await connect({ socketPath }) }
  let daemon: OwnedDaemon
  try {
    daemon = await startDaemon(home, opts)
  } catch (err) {
    // Another launcher may have won the race for the home lock: use its daemon.
    if (await probeSocket(socketPath)) return { client: await connect({ socketPath }) }
    throw err
  }
  try {
    return { client: await connect({ socketPath }), daemon }
  } catch (err) {
    await daemon.stop()
    throw err
  }
}


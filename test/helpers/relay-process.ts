/**
 * Spawns a real `tern relay` process (node --import=tsx cli/bin.ts relay ...), waits for its listening line and
 * stops it by PID. Imports no Tern code, so stock-client tests stay independent of the relay's implementation.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

export interface RelayProcessOptions {
  /** data directory; a fresh temp dir (removed by `cleanup`) when omitted */
  dataDir?: string
  /** extra arguments after `relay`; default listen is /ip4/127.0.0.1/tcp/0 */
  args?: string[]
  /** environment additions */
  env?: Record<string, string>
  /** ms to wait for the listening line (default 20 s) */
  timeoutMs?: number
  /** node options before the script, e.g. ['--max-old-space-size=4096'] */
  nodeArgs?: string[]
}

export interface RelayProcess {
  proc: ChildProcess
  pid: number
  dataDir: string
  /** full multiaddrs from the listening line */
  addrs: string[]
  peerId: string
  /** the raw stdout lines so far */
  lines: string[]
  /** the first stdout line */
  firstLine: string
  stderr: () => string
  /** resolves with the first JSON line (after `from`) that satisfies `pred` */
  waitForLog: (pred: (o: Record<string, unknown>) => boolean, timeoutMs?: number) => Promise<Record<string, unknown>>
  /** sends a signal by PID */
  signal: (sig: NodeJS.Signals) => void
  /** sends `sig` (default SIGTERM) and resolves with the exit code; SIGKILLs after `timeoutMs` */
  stop: (sig?: NodeJS.Signals, timeoutMs?: number) => Promise<number | null>
  /** stops if running and removes the temp data dir it created */
  cleanup: () => Promise<void>
}

/** Runs `tern relay` and resolves once its first line (the listening line) has been read. */
export async function spawnRelay (opts: RelayProcessOptions = {}): Promise<RelayProcess> {
  const ownDir = opts.dataDir === undefined
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'tern-relay-test-'))
  const args = opts.args ?? []
  const hasListen = args.includes('--listen')
  // TERN_TEST_RELAY_BIN: a compiled cli/bin.js, run as the systemd unit runs it (benchmarks); else the sources under tsx
  const bin = process.env.TERN_TEST_RELAY_BIN
  const proc = spawn(process.execPath, [
    ...(opts.nodeArgs ?? []), ...(bin !== undefined && bin !== '' ? [bin] : ['--import=tsx', join(REPO_ROOT, 'cli', 'bin.ts')]), 'relay', '--data', dataDir,
    ...(hasListen ? [] : ['--listen', '/ip4/127.0.0.1/tcp/0']), ...args
  ], { cwd: REPO_ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  let stderr = ''
  let buf = ''
  const waiters: Array<() => void> = []
  proc.stdout?.setEncoding('utf8')
  proc.stdout?.on('data', (chunk: string) => {
    buf += chunk
    let i: number
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i))
      buf = buf.slice(i + 1)
    }
    for (const w of waiters.splice(0)) w()
  })
  proc.stderr?.setEncoding('utf8')
  proc.stderr?.on('data', (c: string) => { stderr += c })
  let exited = false
  let exitCode: number | null = null
  // never leave a relay behind if the test process dies first
  const killOnExit = (): void => { if (!exited) { try { process.kill(proc.pid as number, 'SIGKILL') } catch {} } }
  process.once('exit', killOnExit)
  const exitPromise = new Promise<number | null>(resolve => {
    proc.on('exit', (code) => {
      exited = true; exitCode = code
      process.off('exit', killOnExit)
      for (const w of waiters.splice(0)) w()
      resolve(code)
    })
  })

  const nextChange = async (deadline: number): Promise<void> => {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`)), Math.max(0, deadline - Date.now()))
      waiters.push(() => { clearTimeout(t); resolve() })
    })
  }

  const deadline = Date.now() + (opts.timeoutMs ?? 60_000)
  try {
    while (lines.length === 0) {
      if (exited) throw new Error(`relay exited with ${String(exitCode)} before listening; stderr:\n${stderr}`)
      await nextChange(deadline)
    }
  } catch (err) {
    // no handle reaches the caller: clean up here
    if (!exited) process.kill(proc.pid as number, 'SIGKILL')
    await exitPromise
    if (ownDir) rmSync(dataDir, { recursive: true, force: true })
    throw err
  }
  const firstLine = lines[0]
  let addrs: string[] = []
  try {
    const o = JSON.parse(firstLine) as { msg?: string, addrs?: string[] }
    if (o.msg === 'listening' && Array.isArray(o.addrs)) addrs = o.addrs
  } catch {}
  const peerId = addrs[0]?.split('/p2p/')[1] ?? ''

  const waitForLog = async (pred: (o: Record<string, unknown>) => boolean, timeoutMs = 30_000): Promise<Record<string, unknown>> => {
    const until = Date.now() + timeoutMs
    let seen = 0
    for (;;) {
      for (; seen < lines.length; seen++) {
        try {
          const o = JSON.parse(lines[seen]) as Record<string, unknown>
          if (pred(o)) return o
        } catch {}
      }
      if (exited) throw new Error('relay exited')
      await nextChange(until)
    }
  }

  const stop = async (sig: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<number | null> => {
    if (exited) return exitCode
    process.kill(proc.pid as number, sig)
    const t = setTimeout(() => { if (!exited) process.kill(proc.pid as number, 'SIGKILL') }, timeoutMs)
    const code = await exitPromise
    clearTimeout(t)
    return code
  }

  return {
    proc,
    pid: proc.pid as number,
    dataDir,
    addrs,
    peerId,
    lines,
    firstLine,
    stderr: () => stderr,
    waitForLog,
    signal: (sig) => { process.kill(proc.pid as number, sig) },
    stop,
    cleanup: async () => {
      await stop('SIGTERM')
      if (ownDir) rmSync(dataDir, { recursive: true, force: true })
    }
  }
}

/** Runs a relay command to completion (e.g. --print-address) and returns its exit code and output. */
export async function runRelayOnce (args: string[], timeoutMs = 60_000): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const proc = spawn(process.execPath, ['--import=tsx', join(REPO_ROOT, 'cli', 'bin.ts'), 'relay', ...args],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''; let stderr = ''
  proc.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c })
  proc.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c })
  const t = setTimeout(() => { proc.kill('SIGKILL') }, timeoutMs)
  const code = await new Promise<number | null>(resolve => proc.on('exit', (c) => resolve(c)))
  clearTimeout(t)
  return { code, stdout, stderr }
}

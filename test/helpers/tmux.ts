/**
 * Drives `tern` in a detached tmux pane for end-to-end TUI tests: one private tmux server per pane
 * (`tmux -L tern-test-<pid>-<n>`), keys in with send-keys, the screen out with capture-pane, every wait bounded, and
 * the server killed at teardown (which hangs up on everything running in the pane).
 */
import { execFile, execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { parseInvite } from '../../protocol/invite/index.js'
import { REPO_ROOT } from './relay-process.js'

interface Teardown { teardown: (fn: () => unknown) => void }

let counter = 0

export interface PaneInit {
  /** argv of the command to run in the pane */
  argv: string[]
  env?: Record<string, string>
  width?: number
  height?: number
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

/** The `tern` command line under tsx, from the repository root. */
export function ternArgv (...args: string[]): string[] {
  return [process.execPath, '--import=tsx', 'cli/bin.ts', ...args]
}

/**
 * `tern` inside a shell that prints `exit N` and stays a while: tmux may drop what a pane's command wrote just before
 * it exited, so a test that reads tern's last words runs it this way.
 */
export function ternInShell (...args: string[]): string[] {
  return ['sh', '-c', `${ternArgv(...args).map(quote).join(' ')}; echo "exit $?"; sleep 30`]
}

export class TmuxPane {
  readonly socket: string
  private readonly target = 'tern'

  private constructor (socket: string) { this.socket = socket }

  /** Starts a detached session running `argv` (in the repository root) and registers its teardown. */
  static async start (t: Teardown, init: PaneInit): Promise<TmuxPane> {
    const pane = new TmuxPane(`tern-test-${process.pid}-${counter++}`)
    t.teardown(() => { pane.kill() })
    const env = { ...process.env, TERM: 'xterm-256color', ...init.env }
    const command = init.argv.map(quote).join(' ')
    // remain-on-exit keeps the pane (and its last screen) when the command exits, so an error can be read.
    pane.tmux(['-f', '/dev/null', 'start-server', ';', 'set-option', '-g', 'remain-on-exit', 'on', ';',
      'new-session', '-d', '-s', pane.target, '-x', String(init.width ?? 120), '-y', String(init.height ?? 40), '-c', REPO_ROOT, command], env)
    return pane
  }

  private tmux (args: string[], env?: NodeJS.ProcessEnv): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', env: env ?? { ...process.env, TERM: 'xterm-256color' }, timeout: 10_000 })
  }

  /** tmux key names (C-n, Enter, Tab, Down, ...), sent one by one. */
  keys (...keys: string[]): void {
    for (const k of keys) this.tmux(['send-keys', '-t', this.target, k])
  }

  /** Literal text (no key-name lookup). */
  type (text: string): void {
    this.tmux(['send-keys', '-t', this.target, '-l', text])
  }

  /**
   * Types a value and then presses Enter once the screen has taken the text in: Ink reads a chunk holding both as
   * one input string, so the Enter key must arrive separately (as a person's would).
   */
  async typeAndEnter (text: string, timeoutMs = 5_000): Promise<void> {
    const before = this.capture()
    this.type(text)
    await this.waitFor(s => s !== before, `the screen to echo ${text.length} typed characters`, timeoutMs).catch(() => {})
    await new Promise(resolve => setTimeout(resolve, 100))
    this.keys('Enter')
  }

  /** The visible screen, wrapped lines joined. */
  capture (): string {
    try { return this.tmux(['capture-pane', '-p', '-J', '-t', this.target]) } catch { return '' }
  }

  /** true while the command in the pane runs */
  alive (): boolean {
    try { return this.tmux(['display-message', '-p', '-t', this.target, '#{pane_dead}']).trim() === '0' } catch { return false }
  }

  /** The pane's process id (the command). */
  pid (): number {
    return Number(this.tmux(['display-message', '-p', '-t', this.target, '#{pane_pid}']).trim())
  }

  /** Polls the screen until `test` passes; throws with the last screen after timeoutMs. */
  async waitFor (test: RegExp | ((screen: string) => boolean), what: string, timeoutMs = 20_000): Promise<string> {
    const end = Date.now() + timeoutMs
    let screen = ''
    for (;;) {
      screen = this.capture()
      if (typeof test === 'function' ? test(screen) : test.test(screen)) return screen
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the screen:\n${screen}`)
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }

  /** Kills this pane's tmux server (idempotent). */
  kill (): void {
    try { execFileSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore', timeout: 10_000 }) } catch {}
    // tmux leaves the socket file behind: /tmp/tmux-<uid>/<name> (or under $TMUX_TMPDIR)
    const dir = join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`)
    try { rmSync(join(dir, this.socket), { force: true }) } catch {}
  }
}

/** Resolves once `pid` no longer exists (false on timeout). */
export async function waitForExit (pid: number, timeoutMs = 20_000): Promise<boolean> {
  const end = Date.now() + timeoutMs
  for (;;) {
    try { process.kill(pid, 0) } catch { return true }
    if (Date.now() > end) return false
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

const B64 = /^[A-Za-z0-9_-]+$/
const FRAME = /^[\s│|┃║]+|[\s│|┃║]+$/g

/**
 * The `tern:` invite on a screen. The TUI may wrap it over several rows (inside a frame): join the rows that follow
 * while they are pure base64url and keep the join that parses as an invite.
 */
export function extractInvite (screen: string): string | undefined {
  const rows = screen.split('\n')
  for (let i = 0; i < rows.length; i++) {
    const m = /tern:[A-Za-z0-9_-]+/.exec(rows[i])
    if (m === null) continue
    let candidate = m[0]
    const tryParse = (s: string): boolean => { try { parseInvite(s, Date.now()); return true } catch { return false } }
    if (tryParse(candidate)) return candidate
    for (let j = i + 1; j < rows.length; j++) {
      const part = rows[j].replace(FRAME, '')
      if (!B64.test(part)) break
      candidate += part
      if (tryParse(candidate)) return candidate
    }
  }
  return undefined
}

/** Runs a command to completion without a terminal (stdout piped). */
export async function runPiped (argv: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return await new Promise(resolve => {
    execFile(argv[0], argv.slice(1), { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null
      resolve({ code, stdout, stderr })
    })
  })
}

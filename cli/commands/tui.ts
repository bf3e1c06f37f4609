/**
 * `tern` with no subcommand: the terminal UI. Locally it connects to the daemon of the home (starting a locked one
 * through cli/launcher.ts when none runs, and stopping it afterwards unless --keep-daemon); with --connect it talks to
 * a remote daemon over TCP with the token from --token-file (docs/remote.md). Owns: the terminal check, choosing the
 * target, the daemon's lifetime around the TUI. Must not know: what the TUI draws.
 */
import { readFile } from 'node:fs/promises'
import { connect, type RpcClient } from '../../node/rpc/index.js'
import { connectOrLaunch, type OwnedDaemon } from '../launcher.js'
import { homeOf, parseHostPort, type HomeOpts } from './node.js'

export interface TuiOpts extends HomeOpts {
  connect?: string
  tokenFile?: string
  keepDaemon?: boolean
}

/** Printed when stdout (or stdin) is not a terminal. */
export const NOT_A_TERMINAL = [
  'tern: the terminal UI needs a terminal (stdin and stdout must be a TTY).',
  'For scripts, use the scripting commands, e.g.:',
  '  tern status --json',
  '  tern contacts --json',
  '  tern send <contact> <text> --json',
  '  tern messages <contact> --json',
  '  tern rpc <method> [params]',
  'and `tern daemon` to run the node. See `tern --help`.'
].join('\n')

function fail (message: string, code = 1): never {
  process.stderr.write(`tern: ${message}\n`)
  process.exit(code)
}

/** The first line of a token file. */
export async function readTokenFile (path: string): Promise<string> {
  const token = (await readFile(path, 'utf8')).split(/\r?\n/)[0]?.trim() ?? ''
  if (token === '') throw new Error(`${path} is empty`)
  return token
}

async function remoteClient (target: string, tokenFile: string | undefined): Promise<RpcClient> {
  if (tokenFile === undefined) fail('--connect needs --token-file (the daemon\'s <home>/rpc.token)')
  let addr: { host: string, port: number }
  let token: string
  try {
    addr = parseHostPort(target)
    token = await readTokenFile(tokenFile)
  } catch (err) {
    fail((err as Error).message)
  }
  try {
    return await connect({ ...addr, token })
  } catch (err) {
    const e = err as { data?: { code?: string }, code?: unknown, message?: string }
    fail(`cannot connect to ${target}: ${e.data?.code ?? String(e.code ?? 'error')}: ${e.message ?? String(err)}`)
  }
}

export async function runTuiCommand (opts: TuiOpts): Promise<void> {
  if (process.stdout.isTTY !== true || process.stdin.isTTY !== true) {
    process.stderr.write(NOT_A_TERMINAL + '\n')
    process.exit(2)
  }
  if (opts.connect === undefined && opts.tokenFile !== undefined) fail('--token-file goes with --connect HOST:PORT')
  let client: RpcClient
  let daemon: OwnedDaemon | undefined
  if (opts.connect !== undefined) {
    client = await remoteClient(opts.connect, opts.tokenFile)
  } else {
    try {
      ({ client, daemon } = await connectOrLaunch(homeOf(opts)))
    } catch (err) {
      fail((err as Error).message)
    }
  }
  const owned = daemon
  const keep = opts.keepDaemon === true
  const cleanup = async (): Promise<void> => {
    await client.close().catch(() => {})
    if (owned !== undefined && !keep) await owned.stop()
  }
  // The terminal going away (SIGHUP) or a kill (SIGTERM) must not leave the daemon we started behind.
  const onSignal = (): void => { void cleanup().finally(() => process.exit(1)) }
  process.once('SIGHUP', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    // Ink renders only its last frame when it believes it runs in CI (is-in-ci reads CI / CONTINUOUS_INTEGRATION at
    // import). tern draws only on a TTY, i.e. for a person at a terminal, so that guess is wrong here: clear it
    // before Ink loads (CI's own end-to-end tests run tern in tmux panes that inherit CI=true).
    process.env.CI = '0'
    process.env.CONTINUOUS_INTEGRATION = '0'
    const { runTui } = await import('../tui/index.js')
    await runTui({
      client,
      ownsDaemon: owned !== undefined && !keep,
    })
  } finally {
    process.off('SIGHUP', onSignal)
    process.off('SIGTERM', onSignal)
    await cleanup()
  }
  if (owned !== undefined && keep) {
    process.stdout.write(`tern: the daemon keeps running (pid ${owned.pid}); stop it with \`kill ${owned.pid}\`\n`)
  }
  process.exit(0)
}

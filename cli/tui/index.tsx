/**
 * The terminal UI (`tern` with no arguments): runTui renders <App/> with Ink on a connected client and resolves when
 * the user quits. Owns the terminal session (alternate screen, raw input); the launcher owns the daemon and the
 * client, and handles a stdout that is not a TTY.
 */
import { render } from 'ink'
import { App } from './App.js'
import type { TuiClient } from './types.js'

export { App, type AppProps } from './App.js'
export { reduce, initialState, eventToAction, type Action, type TuiState } from './state.js'
export type { TuiClient, Contact, Message, NodeStatus } from './types.js'

export interface RunTuiOptions {
  /** A connected client (node/rpc/client.ts RpcClient, or anything with call/subscribe/on/off). */
  client: TuiClient
  stdin?: NodeJS.ReadStream
  stdout?: NodeJS.WriteStream
  /** Called once when the user quits, before the promise resolves. */
  onExit?: () => void
  /** The launcher started the daemon for this session (shown nowhere yet; reserved for "stop it on quit" wording). */
  ownsDaemon?: boolean
  /** Receives the relay multiaddr typed on the first-run screen (node.init takes none); omit to not ask for one. */
  addRelay?: (multiaddr: string) => Promise<void>
}

/** xterm's alternate screen: the UI leaves the shell's scrollback as it was. */
const ALT_SCREEN_ON = '\u001b[?1049h'
const ALT_SCREEN_OFF = '\u001b[?1049l'

export async function runTui (opts: RunTuiOptions): Promise<void> {
  const stdout = opts.stdout ?? process.stdout
  const stdin = opts.stdin ?? process.stdin
  const alt = stdout.isTTY === true
  if (alt) stdout.write(ALT_SCREEN_ON)
  let exited = false
  const onQuit = (): void => {
    if (exited) return
    exited = true
    opts.onExit?.()
  }
  const instance = render(<App client={opts.client} onQuit={onQuit} addRelay={opts.addRelay} />, {
    stdout,
    stdin,
    exitOnCtrlC: false,
    patchConsole: false
  })
  try {
    await instance.waitUntilExit()
  } finally {
    instance.cleanup()
    if (alt) stdout.write(ALT_SCREEN_OFF)
    onQuit()
  }
}

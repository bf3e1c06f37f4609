/**
 * Where a node keeps its state. Owns the home directory's resolution and its file names; knows nothing of their
 * formats. Resolution is pure (env and the user's home are parameters) so tests never touch the real home.
 *
 * Layout of a home:
 *   config.json   display name, relays (config.ts)             mode 0600
 *   keys.json     passphrase-wrapped secrets + database key (keystore.ts)  mode 0600
 *   db/           LevelDB; every value encrypted (node/store)
 *   daemon.pid    single-daemon lock (lock.ts)
 */
import { homedir } from 'node:os'
import { join, resolve, isAbsolute } from 'node:path'
import { mkdir, chmod, stat } from 'node:fs/promises'
import { DIR_MODE } from './atomic.js'
import { InvalidArgumentError } from '../../protocol/errors.js'

/** Environment variable naming the home directory (below `--home`, above the XDG default). */
export const TERN_HOME_ENV = 'TERN_HOME'

export interface ResolveHomeInit {
  /** The `--home DIR` flag, if given: wins over everything. */
  home?: string
  /** The environment to read TERN_HOME and XDG_DATA_HOME from (default process.env). */
  env?: Record<string, string | undefined>
  /** The user's home directory (default os.homedir()). */
  userHome?: string
  /** Base for relative paths (default process.cwd()). */
  cwd?: string
}

/**
 * The home directory: `--home`, else $TERN_HOME, else $XDG_DATA_HOME/tern (when absolute, per the XDG Base
 * Directory spec), else ~/.local/share/tern. Always an absolute path.
 */
export function resolveHome (init: ResolveHomeInit = {}): string {
  const env = init.env ?? process.env
  const cwd = init.cwd ?? process.cwd()
  const pick = (s: string | undefined): string | undefined => (s !== undefined && s !== '') ? s : undefined
  const explicit = pick(init.home) ?? pick(env[TERN_HOME_ENV])
  if (explicit !== undefined) return resolve(cwd, explicit)
  const xdg = pick(env.XDG_DATA_HOME)
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'tern')
  const user = init.userHome ?? homedir()
  if (user === '') throw new InvalidArgumentError('cannot resolve the Tern home: no --home, TERN_HOME or user home')
  return join(user, '.local', 'share', 'tern')
}

export interface HomePaths {
  home: string
  config: string
  keys: string
  db: string
  lock: string
}

/** The files of a home (see the layout above). */
export function homePaths (home: string): HomePaths {
  return {
    home,
    config: join(home, 'config.json'),
    keys: join(home, 'keys.json'),
    db: join(home, 'db'),
    lock: join(home, 'daemon.pid')
  }
}

/** Creates the home (and parents) if missing, with mode 0700 on the home itself. Returns the path. */
export async function ensureHome (home: string): Promise<string> {
  let existed = true
  try { await stat(home) } catch { existed = false }
  await mkdir(home, { recursive: true, mode: DIR_MODE })
  if (!existed) await chmod(home, DIR_MODE)
  return home
}

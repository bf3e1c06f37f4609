/**
 * One daemon per home: `<home>/daemon.pid`, created exclusively. Owns the lock file only.
 * File content (JSON): { pid, start, token } where `start` is the process start time from /proc/<pid>/stat (Linux;
 * absent elsewhere), so that a PID reused by an unrelated process after a crash is still seen as stale, and `token`
 * is random, so that release() only ever removes its own file.
 * A lock whose PID is dead (or reused) is stale and is taken over; a live one throws HomeInUseError. Taking over is
 * serialised by a second exclusive file (daemon.pid.takeover) so two starters cannot both win.
 */
import { readFile, unlink, open, stat } from 'node:fs/promises'
import { readFileSync, unlinkSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { HomeInUseError } from '../errors.js'
import { homePaths, ensureHome } from './paths.js'
import { createFileExclusive, isErrno, FILE_MODE } from './atomic.js'

/** A takeover marker older than this is left over from a crashed starter and may be removed, ms. */
export const TAKEOVER_STALE_MS = 10_000

export interface HomeLock {
  readonly path: string
  readonly pid: number
  /** Removes the lock file if it is still ours. Idempotent. */
  release: () => Promise<void>
}

interface LockContent { pid: number, start?: string, token: string }

/** Homes locked by this process (a second acquire in the same process is refused too). */
const heldHere = new Set<string>()

/** Process start time (clock ticks since boot) from /proc/<pid>/stat, or undefined where /proc is unavailable. */
export function processStartTime (pid: number): string | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Field 2 (comm) may contain spaces and parentheses: split after the LAST ')'. starttime is field 22.
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ')
    return rest[22 - 3]
  } catch {
    return undefined
  }
}

/** True if `pid` names a live process (EPERM: alive but not ours). */
function pidAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return isErrno(e, 'EPERM')
  }
}

/** Is the lock described by `c` held by a live process? */
function holderAlive (c: LockContent): boolean {
  if (c.pid === process.pid) return false // our own PID but not in heldHere: a leftover from a previous life
  if (!pidAlive(c.pid)) return false
  if (c.start !== undefined) {
    const now = processStartTime(c.pid)
    if (now !== undefined && now !== c.start) return false // the PID was reused
  }
  return true
}

function parse (text: string): LockContent | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockContent>
    if (!Number.isSafeInteger(v.pid) || (v.pid as number) <= 0 || typeof v.token !== 'string') return undefined
    return { pid: v.pid as number, start: typeof v.start === 'string' ? v.start : undefined, token: v.token }
  } catch {
    return undefined
  }
}

async function readLock (path: string): Promise<{ text: string, content: LockContent | undefined } | undefined> {
  try {
    const text = await readFile(path, 'utf8')
    return { text, content: parse(text) }
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined
    throw e
  }
}

/**
 * Takes `<home>/daemon.pid` for this process (creating the home if needed). Throws HomeInUseError when another live
 * process holds it. Also removes the file at process exit if release() was not called.
 */
export async function acquireHomeLock (home: string): Promise<HomeLock> {
  const path = homePaths(home).lock
  if (heldHere.has(path)) throw new HomeInUseError(`home ${home} is already locked by this process`, process.pid)
  await ensureHome(home)
  const mine: LockContent = { pid: process.pid, start: processStartTime(process.pid), token: randomBytes(16).toString('hex') }
  const text = JSON.stringify(mine) + '\n'
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await createFileExclusive(path, text)
      return held(path, mine)
    } catch (e) {
      if (!isErrno(e, 'EEXIST')) throw e
    }
    const cur = await readLock(path)
    if (cur === undefined) continue // released meanwhile: retry
    if (cur.content !== undefined && holderAlive(cur.content)) {
      throw new HomeInUseError(`home ${home} is in use by process ${cur.content.pid}`, cur.content.pid)
    }
    await takeOver(path, cur.text)
  }
  throw new HomeInUseError(`home ${home}: could not take the lock (contended)`)
}

/** Removes a stale lock whose text is `staleText`, under the takeover marker. */
async function takeOver (path: string, staleText: string): Promise<void> {
  const marker = path + '.takeover'
  let fh
  try {
    fh = await open(marker, 'wx', FILE_MODE)
  } catch (e) {
    if (!isErrno(e, 'EEXIST')) throw e
    const st = await stat(marker).catch(() => undefined)
    if (st !== undefined && Date.now() - st.mtimeMs > TAKEOVER_STALE_MS) await unlink(marker).catch(() => {})
    await new Promise(resolve => setTimeout(resolve, 20))
    return
  }
  try {
    await fh.close()
    const again = await readLock(path)
    // Only remove exactly the stale file we judged: someone may have taken over and written a live one since.
    if (again !== undefined && again.text === staleText) await unlink(path).catch(() => {})
  } finally {
    await unlink(marker).catch(() => {})
  }
}

function held (path: string, mine: LockContent): HomeLock {
  heldHere.add(path)
  let released = false
  const removeSync = (): void => {
    try {
      if (parse(readFileSync(path, 'utf8'))?.token === mine.token) unlinkSync(path)
    } catch {}
  }
  process.once('exit', removeSync)
  return {
    path,
    pid: mine.pid,
    async release () {
      if (released) return
      released = true
      process.removeListener('exit', removeSync)
      heldHere.delete(path)
      const cur = await readLock(path)
      if (cur?.content?.token === mine.token) await unlink(path).catch(() => {})
    }
  }
}

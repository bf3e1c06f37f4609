/**
 * Crash-safe file writes for the home directory: write a temp file beside the target, fsync it, rename (or link, for
 * exclusive creation) over the target, then fsync the directory so the rename itself is durable. A reader sees the
 * old file or the new one, never a torn one, even after kill -9 or power loss. Owns no file formats.
 */
import { open, rename, link, unlink, readFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { dirname, basename, join } from 'node:path'
import { NotInitializedError } from '../errors.js'

/** Mode of every file Tern writes in its home: owner read/write only. */
export const FILE_MODE = 0o600
/** Mode of the home directory itself. */
export const DIR_MODE = 0o700

function tempPathFor (path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`)
}

async function writeTemp (tmp: string, data: Uint8Array | string, mode: number): Promise<void> {
  const fh = await open(tmp, 'wx', mode)
  try {
    await fh.writeFile(data)
    await fh.chmod(mode) // the umask may have narrowed or (via ACLs) widened the mode given to open
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/** fsyncs a directory so that a rename/link/unlink inside it survives a power loss. */
export async function fsyncDir (dir: string): Promise<void> {
  let fh
  try {
    fh = await open(dir, 'r')
    await fh.sync()
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic, only its durability is weaker.
  } finally {
    await fh?.close()
  }
}

/** Atomically replaces (or creates) `path` with `data`. */
export async function writeFileAtomic (path: string, data: Uint8Array | string, mode = FILE_MODE): Promise<void> {
  const tmp = tempPathFor(path)
  try {
    await writeTemp(tmp, data, mode)
    await rename(tmp, path)
  } catch (e) {
    await unlink(tmp).catch(() => {})
    throw e
  }
  await fsyncDir(dirname(path))
}

/**
 * Atomically creates `path` with `data`; fails with an `EEXIST` error (and changes nothing) when it already exists.
 * link(2) is the exclusive, atomic step: the file appears complete or not at all.
 */
export async function createFileExclusive (path: string, data: Uint8Array | string, mode = FILE_MODE): Promise<void> {
  const tmp = tempPathFor(path)
  try {
    await writeTemp(tmp, data, mode)
    await link(tmp, path)
  } finally {
    await unlink(tmp).catch(() => {})
  }
  await fsyncDir(dirname(path))
}

/** True for a Node fs error with the given code. */
export function isErrno (e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code
}

/** Reads a file of the home as text; a missing one means the home is not initialised (NotInitializedError). */
export async function readHomeFile (path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (e) {
    if (isErrno(e, 'ENOENT')) throw new NotInitializedError(path)
    throw e
  }
}

/** Temporary directories for tests: created under os.tmpdir(), removed at the test's teardown. */
import { mkdtemp, rm, readdir, readFile, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

interface Teardown { teardown: (fn: () => unknown) => void }

export async function tmpDir (t: Teardown, prefix = 'tern-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  return dir
}

/** Every regular file under `dir` (recursively) with its bytes. */
export async function readTree (dir: string): Promise<Array<{ path: string, bytes: Buffer }>> {
  const out: Array<{ path: string, bytes: Buffer }> = []
  for (const name of await readdir(dir)) {
    const p = join(dir, name)
    const st = await stat(p)
    if (st.isDirectory()) out.push(...await readTree(p))
    else if (st.isFile()) out.push({ path: p, bytes: await readFile(p) })
  }
  return out
}

/**
 * `tern init` (passphrase from TERN_PASSPHRASE or --passphrase-file; refuses a second init) and a scripting command
 * without a daemon (clear error, exit 1). No daemon is started here.
 */
import '../node/polyfill.js'
import t from 'tap'
import { spawn } from 'node:child_process'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tmpDir } from './helpers/tmp.js'
import { REPO_ROOT } from './helpers/relay-process.js'
import { unlockKeystore, wipeKeys } from '../node/home/index.js'

const RELAY = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWLRPJAA5o6Z6H2fkXJyKUu3JgRXkRpXYqbg8u4T3Z7RXw'

async function tern (args: string[], env: Record<string, string> = {}): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const e: Record<string, string | undefined> = { ...process.env, TERN_TEST_KDF_LOG_N: '10', ...env }
  if (env.TERN_PASSPHRASE === undefined) delete e.TERN_PASSPHRASE
  const proc = spawn(process.execPath, ['--import=tsx', join(REPO_ROOT, 'cli', 'bin.ts'), ...args], { cwd: REPO_ROOT, env: e, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''; let stderr = ''
  proc.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c })
  proc.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c })
  const timer = setTimeout(() => { proc.kill('SIGKILL') }, 60_000)
  const code = await new Promise<number | null>(resolve => proc.on('exit', resolve))
  clearTimeout(timer)
  return { code, stdout, stderr }
}

t.test('tern init, then refuses a second init; commands without a daemon fail clearly', async t => {
  const dir = await tmpDir(t, 'tern-cli-node-')
  const home = join(dir, 'home')
  const r = await tern(['init', '--name', 'Alice', '--relay', RELAY, '--home', home, '--json'], { TERN_PASSPHRASE: 'pass one' })
  t.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout) as { peerId: string, name: string, relays: string[] }
  t.match(out.peerId, /^12D3Koo/)
  t.same(out.relays, [RELAY])
  const cfg = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as { name: string, relays: string[] }
  t.equal(cfg.name, 'Alice')
  t.equal(statSync(join(home, 'keys.json')).mode & 0o777, 0o600)
  const keys = await unlockKeystore(home, 'pass one')
  t.same(Object.keys(keys.secrets).sort(), ['identity', 'mailbox-owner'])
  wipeKeys(keys)

  const again = await tern(['init', '--name', 'Alice', '--home', home], { TERN_PASSPHRASE: 'pass one' })
  t.equal(again.code, 1)
  t.match(again.stderr, /ERR_ALREADY_INITIALI[SZ]ED/)

  const file = join(dir, 'pass.txt')
  writeFileSync(file, 'from a file\n')
  const second = await tern(['init', '--name', 'Bob', '--home', join(dir, 'bob'), '--passphrase-file', file])
  t.equal(second.code, 0, second.stderr)
  const k2 = await unlockKeystore(join(dir, 'bob'), 'from a file')
  wipeKeys(k2)

  const none = await tern(['init', '--name', 'Carol', '--home', join(dir, 'carol')])
  t.equal(none.code, 1, 'no passphrase and no terminal')
  t.match(none.stderr, /no passphrase/)

  const status = await tern(['status', '--home', home])
  t.equal(status.code, 1)
  t.match(status.stderr, /cannot reach the daemon/)
})

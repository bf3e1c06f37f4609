/**
 * node/daemon-flags.ts: every launcher of a long-running daemon passes the same node flags (the `tern` shebang,
 * `npm start`, the systemd user unit), and this Node.js accepts them (an unknown V8 flag stops node at start).
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DAEMON_NODE_FLAGS } from '../node/daemon-flags.js'

const ROOT = join(import.meta.dirname, '..')
const read = (p: string): string => readFileSync(join(ROOT, p), 'utf8')
/** The flags between `node` and the script in a command line. */
const flagsOf = (line: string, before: string): string[] => {
  const words = line.trim().split(/\s+/)
  const start = words.findIndex(w => w === 'node' || w.endsWith('/node'))
  const end = words.findIndex((w, i) => i > start && w.includes(before))
  return words.slice(start + 1, end)
}

t.test('the shebang, npm start and the systemd unit pass DAEMON_NODE_FLAGS', async t => {
  const shebang = read('cli/bin.ts').split('\n')[0]
  t.match(shebang, /^#!\/usr\/bin\/env -S node /)
  t.same(shebang.replace('#!/usr/bin/env -S node ', '').split(/\s+/), DAEMON_NODE_FLAGS, 'cli/bin.ts shebang')

  const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start
  t.same(flagsOf(start, 'dist/cli/bin.js'), DAEMON_NODE_FLAGS, 'npm start')

  const exec = read('docs/tern-daemon.service').split('\n').filter(l => l.startsWith('ExecStart='))
  t.equal(exec.length, 1, 'one ExecStart line')
  t.same(flagsOf(exec[0].slice('ExecStart='.length), 'dist/cli/bin.js'), DAEMON_NODE_FLAGS, 'docs/tern-daemon.service')
})

t.test('this Node.js runs with the flags', async t => {
  const r = spawnSync(process.execPath, [...DAEMON_NODE_FLAGS, '-e', 'process.stdout.write(String(typeof gc))'], { encoding: 'utf8' })
  t.equal(r.status, 0, `node accepts ${DAEMON_NODE_FLAGS.join(' ')}: ${r.stderr}`)
  t.equal(r.stdout, 'function', '--expose-gc took effect')
})

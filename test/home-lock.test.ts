import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { readFile, writeFile, readdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { acquireHomeLock, homePaths } from '../node/home/index.js'
import { processStartTime } from '../node/home/lock.js'
import type { HomeInUseError } from '../node/errors.js'
import { tmpDir } from './helpers/tmp.js'

const CHILD = fileURLToPath(new URL('./helpers/lock-child.ts', import.meta.url))

function startChild (home: string): { child: ChildProcess, line: Promise<string> } {
  const child = spawn(process.execPath, ['--import=tsx', CHILD, home], { stdio: ['ignore', 'pipe', 'inherit'] })
  const line = new Promise<string>((resolve, reject) => {
    let buf = ''
    child.stdout?.on('data', (d: Buffer) => { buf += d.toString(); if (buf.includes('\n')) resolve(buf.trim()) })
    child.on('exit', () => resolve(buf.trim()))
    child.on('error', reject)
  })
  return { child, line }
}

const exited = async (c: ChildProcess): Promise<void> => {
  if (c.exitCode !== null || c.signalCode !== null) return
  await new Promise(resolve => c.once('exit', resolve))
}

t.test('acquire writes daemon.pid; a second acquire in-process is refused; release removes it', async t => {
  const home = await tmpDir(t)
  const lock = await acquireHomeLock(home)
  const content = JSON.parse(await readFile(homePaths(home).lock, 'utf8'))
  t.equal(content.pid, process.pid)
  await t.rejects(acquireHomeLock(home), { code: 'ERR_HOME_IN_USE' })
  await lock.release()
  await lock.release()
  t.same(await readdir(home), [])
  const again = await acquireHomeLock(home)
  await again.release()
})

t.test('a live daemon in another process: ERR_HOME_IN_USE with its pid; after kill -9 the stale lock is taken over', async t => {
  const home = await tmpDir(t)
  const { child, line } = startChild(home)
  t.teardown(() => { child.kill('SIGKILL') })
  t.match(await line, /^locked \d+$/)
  const err = await acquireHomeLock(home).then(() => undefined, (e: unknown) => e as HomeInUseError)
  t.equal(err?.code, 'ERR_HOME_IN_USE')
  t.equal(err?.pid, child.pid)
  child.kill('SIGKILL')
  await exited(child)
  t.equal(JSON.parse(await readFile(homePaths(home).lock, 'utf8')).pid, child.pid, 'kill -9 leaves the file behind')
  const lock = await acquireHomeLock(home)
  t.equal(JSON.parse(await readFile(homePaths(home).lock, 'utf8')).pid, process.pid)
  // and now a new child is refused
  const second = startChild(home)
  t.equal(await second.line, 'error ERR_HOME_IN_USE')
  await exited(second.child)
  await lock.release()
})

t.test('stale locks: dead pid, reused pid (start time differs), garbage content', async t => {
  const home = await tmpDir(t)
  const path = homePaths(home).lock
  const dead = spawn(process.execPath, ['-e', '0'])
  await exited(dead)
  const variants = [
    JSON.stringify({ pid: dead.pid, token: 'x' }),
    JSON.stringify({ pid: process.ppid, start: 'not-its-start-time', token: 'x' }),
    'garbage',
    ''
  ]
  if (processStartTime(process.ppid) === undefined) variants.splice(1, 1) // no /proc: start times unknown
  for (const text of variants) {
    await writeFile(path, text)
    const lock = await acquireHomeLock(home)
    t.equal(JSON.parse(await readFile(path, 'utf8')).pid, process.pid, `took over ${text.slice(0, 40)}`)
    await lock.release()
  }
  // a live process with a matching (or unknown) start time is respected
  await writeFile(path, JSON.stringify({ pid: process.ppid, start: processStartTime(process.ppid), token: 'x' }))
  await t.rejects(acquireHomeLock(home), { code: 'ERR_HOME_IN_USE', pid: process.ppid })
  t.equal(JSON.parse(await readFile(path, 'utf8')).pid, process.ppid, 'the live lock is untouched')
})

t.test('two processes racing for a stale lock: exactly one wins', async t => {
  const home = await tmpDir(t)
  const dead = spawn(process.execPath, ['-e', '0'])
  await exited(dead)
  for (let round = 0; round < 2; round++) {
    await writeFile(homePaths(home).lock, JSON.stringify({ pid: dead.pid, token: 'x' }))
    const kids = [startChild(home), startChild(home), startChild(home)]
    t.teardown(() => { for (const k of kids) k.child.kill('SIGKILL') })
    const lines = await Promise.all(kids.map(async k => await k.line))
    t.equal(lines.filter(l => l.startsWith('locked')).length, 1, `round ${round}: ${lines.join(' | ')}`)
    t.equal(lines.filter(l => l === 'error ERR_HOME_IN_USE').length, 2)
    for (const k of kids) k.child.kill('SIGKILL')
    await Promise.all(kids.map(async k => { await exited(k.child) }))
  }
})

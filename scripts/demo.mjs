#!/usr/bin/env node
// `npm run demo` (node --import=tsx scripts/demo.mjs): a throw-away Tern network on this machine. Starts a local relay
// and two nodes, Alice and Bob, in temporary homes (initialised, unlocked, contacts already exchanged), makes Bob an
// echo bot, opens the terminal UI as Alice in this terminal, and removes everything when the UI exits.
//   --check   set everything up, show that Bob answers, tear down, exit 0 (no terminal needed)
//   --as bob  open the UI as Bob instead (nobody echoes then)
import '../node/polyfill.ts'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { connect } from '../node/rpc/index.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const BIN = join(ROOT, 'cli', 'bin.ts')
const PASSPHRASE = 'tern demo passphrase'
const check = process.argv.includes('--check')
const asBob = process.argv.includes('--as') && process.argv[process.argv.indexOf('--as') + 1] === 'bob'

if (!check && (process.stdout.isTTY !== true || process.stdin.isTTY !== true)) {
  console.error('npm run demo opens the terminal UI and needs a terminal. Try `node --import=tsx scripts/demo.mjs --check`.')
  process.exit(2)
}

const dir = mkdtempSync(join(tmpdir(), 'tern-demo-'))
const procs = []
const clients = []
const say = (s) => { process.stderr.write(`demo: ${s}\n`) }

/** Spawns `tern ...args`; resolves with the process once a stdout JSON line satisfies `ready`. */
function ternProcess (args, ready, env = {}) {
  return new Promise((resolveReady, reject) => {
    const proc = spawn(process.execPath, ['--import=tsx', BIN, ...args], {
      cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe']
    })
    procs.push(proc)
    let buf = ''
    let err = ''
    const timer = setTimeout(() => { reject(new Error(`tern ${args[0]} did not start in 60 s\n${err}`)) }, 60_000)
    proc.stderr.setEncoding('utf8').on('data', (c) => { err += c })
    proc.stdout.setEncoding('utf8').on('data', (c) => {
      buf += c
      let i
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i); buf = buf.slice(i + 1)
        try {
          const o = JSON.parse(line)
          if (ready(o)) { clearTimeout(timer); resolveReady({ proc, line: o }) }
        } catch {}
      }
    })
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`tern ${args[0]} exited (${code})\n${err}`)) })
  })
}

async function until (fn, what, ms = 30_000) {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out: ${what}`)
    await new Promise(r => setTimeout(r, 100))
  }
}

let cleaning
async function cleanup () {
  cleaning ??= (async () => {
    for (const c of clients) await c.close().catch(() => {})
    await Promise.all(procs.reverse().map(p => new Promise((res) => {
      if (p.exitCode !== null || p.signalCode !== null) return res()
      const t = setTimeout(() => { try { p.kill('SIGKILL') } catch {} }, 10_000)
      p.once('exit', () => { clearTimeout(t); res() })
      try { p.kill('SIGTERM') } catch { clearTimeout(t); res() }
    })))
    rmSync(dir, { recursive: true, force: true })
  })()
  await cleaning
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(sig, () => { void cleanup().finally(() => process.exit(130)) })

async function node (name, relay) {
  const home = join(dir, name.toLowerCase())
  const { initHome } = await import('../node/home/index.ts')
  const { SECRET_IDENTITY, SECRET_MAILBOX_OWNER } = await import('../node/daemon.ts')
  const { ed25519KeyPair, systemRng } = await import('../protocol/crypto/index.ts')
  const { generateIdentity, serializeIdentity } = await import('../protocol/identity/index.ts')
  const identity = generateIdentity(systemRng)
  const owner = ed25519KeyPair(systemRng)
  await initHome(home, {
    config: { name, relays: [relay] },
    passphrase: PASSPHRASE,
    secrets: { [SECRET_IDENTITY]: serializeIdentity(identity), [SECRET_MAILBOX_OWNER]: owner.secretKey }
  })
  await ternProcess(['daemon', '--home', home, '--listen', '/ip4/127.0.0.1/tcp/0'], o => o.msg === 'unlocked', { TERN_PASSPHRASE: PASSPHRASE })
  const client = await connect({ socketPath: join(home, 'rpc.sock') })
  clients.push(client)
  return { home, client }
}

try {
  say(`temporary homes in ${dir}`)
  const relayCfg = join(dir, 'relay.json')
  writeFileSync(relayCfg, JSON.stringify({ allowPrivateAddresses: true }))
  const { line } = await ternProcess(['relay', '--data', join(dir, 'relay'), '--listen', '/ip4/127.0.0.1/tcp/0', '--config', relayCfg], o => o.msg === 'listening')
  const relay = line.addrs[0]
  say(`relay at ${relay}`)
  const alice = await node('Alice', relay)
  const bob = await node('Bob', relay)
  const { invite } = await alice.client.call('invite.create')
  const added = await bob.client.call('contacts.add', { invite, name: 'Alice' })
  const aliceSeesBob = await until(async () => (await alice.client.call('contacts.list')).contacts.find(c => c.state === 'established'), 'Alice sees Bob')
  await until(async () => (await bob.client.call('contacts.get', { id: added.id })).state === 'established', 'Bob sees Alice')
  say('Alice and Bob are contacts')

  // Bob echoes whatever Alice writes.
  await bob.client.subscribe()
  bob.client.on('event', (e) => {
    if (e.type !== 'message.received' || asBob) return
    const m = e.data.message
    void bob.client.call('messages.send', { to: m.with, text: `echo: ${m.text}` }).catch(() => {})
  })
  await bob.client.call('messages.send', { to: added.id, text: 'Hi Alice! I am Bob, a demo bot: I echo what you write.' })

  if (check) {
    await alice.client.call('messages.send', { to: aliceSeesBob.id, text: 'ping' })
    await until(async () => (await alice.client.call('messages.list', { with: aliceSeesBob.id })).messages.some(m => m.text === 'echo: ping'), 'the echo')
    say('check passed: Bob echoed')
  } else {
    const me = asBob ? bob : alice
    say(`opening the UI as ${asBob ? 'Bob' : 'Alice'} (q or Ctrl+C quits; everything is removed afterwards)`)
    const ui = spawn(process.execPath, ['--import=tsx', BIN, '--home', me.home], { cwd: ROOT, stdio: 'inherit' })
    await new Promise(res => ui.once('exit', res))
  }
  await cleanup()
  process.exit(0)
} catch (err) {
  say(`failed: ${err.message}`)
  await cleanup()
  process.exit(1)
}

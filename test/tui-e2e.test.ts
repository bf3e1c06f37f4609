/**
 * `tern` end to end in a real terminal (tmux): a relay and two daemons on loopback; Alice drives the TUI by keystrokes,
 * Bob answers through the API. Also: `tern` without a terminal refuses to draw, and `tern` on a home with no daemon
 * starts a locked one and stops it when the UI quits.
 */
import '../node/polyfill.js'
import t from 'tap'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from '../node/rpc/index.js'
import { TEST_KDF_LOG_N, startTestnet, until } from './helpers/testnet.js'
import { TmuxPane, runPiped, ternArgv, ternInShell, waitForExit } from './helpers/tmux.js'
import { spawnRelay } from './helpers/relay-process.js'
import { exchangeByKeystrokes } from './helpers/tui-flow.js'

const KDF_ENV = { TERN_TEST_KDF_LOG_N: String(TEST_KDF_LOG_N) }

t.test('without a terminal, tern points to the scripting commands and draws nothing', async t => {
  const home = mkdtempSync(join(tmpdir(), 'tern-notty-'))
  t.teardown(() => { rmSync(home, { recursive: true, force: true }) })
  const r = await runPiped(ternArgv('--home', home))
  t.not(r.code, 0, 'non-zero exit')
  t.match(r.stderr, /needs a terminal/)
  t.match(r.stderr, /tern status/)
  t.match(r.stderr, /--json/)
  t.equal(r.stdout, '', 'nothing drawn on stdout')
  t.notOk(existsSync(join(home, 'rpc.sock')), 'no daemon started')
})

t.test('two daemons, Alice in the TUI: invite by keys, messages both ways, presence', async t => {
  const net = await startTestnet(t, ['Alice', 'Bob'])
  const [alice, bob] = net.nodes
  const pane = await TmuxPane.start(t, { argv: ternArgv('--home', alice.home), env: KDF_ENV })
  await exchangeByKeystrokes(t, pane, alice, bob)

  // Bob goes away: Alice's list shows him offline within 10 s.
  await bob.stop()
  await pane.waitFor(/○ Bob/, 'Bob shown offline', 10_000)
  t.pass('Bob offline on Alice\'s screen')

  pane.keys('C-c')
  t.ok(await until(() => !pane.alive(), 'tern quits on Ctrl+C', 10_000), 'tern exited')
  t.ok(alice.running, 'the daemon tern did not start keeps running')
})

t.test('no daemon: tern starts a locked one, the TUI initialises it, quitting stops it, --keep-daemon keeps it', async t => {
  const home = mkdtempSync(join(tmpdir(), 'tern-launch-'))
  t.teardown(() => { rmSync(home, { recursive: true, force: true }) })
  const relayCfg = join(home, 'relay.json')
  writeFileSync(relayCfg, JSON.stringify({ allowPrivateAddresses: true }))
  const socketPath = join(home, 'rpc.sock')
  const daemonPid = (): number => Number(JSON.parse(readFileSync(join(home, 'daemon.pid'), 'utf8')).pid)
  const status = async (): Promise<Record<string, unknown>> => {
    const c = await connect({ socketPath, reconnect: false })
    try { return await c.call<Record<string, unknown>>('node.status') } finally { await c.close() }
  }

  const pane = await TmuxPane.start(t, { argv: ternArgv('--home', home), env: KDF_ENV })
  await until(() => existsSync(socketPath), 'the daemon socket', 30_000)
  t.same(await status(), { locked: true, initialised: false }, 'started locked on an empty home')
  const first = daemonPid()
  t.not(first, pane.pid(), 'the daemon is its own process')

  // First run, by keystrokes: name, passphrase twice, a relay.
  await pane.waitFor(/Welcome to Tern/, 'the first-run screen', 20_000)
  // A real relay: a configured relay that cannot be reached makes node.unlock fail (node/host listens on its circuit).
  const relayProc = await spawnRelay({ args: ['--config', relayCfg], dataDir: join(home, 'relay-data') })
  t.teardown(async () => { await relayProc.cleanup() })
  const relay = relayProc.addrs[0]
  for (const value of ['Carol', 'a passphrase for carol', 'a passphrase for carol', relay]) {
    await pane.typeAndEnter(value)
    await new Promise(resolve => setTimeout(resolve, 200))
  }
  await pane.waitFor(/Contacts/, 'the main screen after node.init', 30_000)
  const s = await status()
  t.equal(s.locked, false, 'initialised and unlocked through the API')
  t.equal(s.name, 'Carol')
  t.same(JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')).relays, [relay], 'the relay went into config.json')

  pane.keys('q')
  t.ok(await waitForExit(first, 20_000), 'the daemon stopped when the UI quit')
  t.notOk(existsSync(socketPath), 'its socket is gone')
  t.ok(await until(() => !pane.alive(), 'tern exits', 10_000))
  pane.kill()

  // --keep-daemon: the next tern starts a locked daemon again, unlocks it, and leaves it running.
  const again = await TmuxPane.start(t, { argv: ternInShell('--home', home, '--keep-daemon'), env: KDF_ENV })
  await again.waitFor(/Tern is locked/, 'the unlock screen', 30_000)
  const second = daemonPid()
  t.teardown(() => { try { process.kill(second, 'SIGTERM') } catch {} })
  await again.typeAndEnter('a passphrase for carol')
  await again.waitFor(/Contacts/, 'the main screen after node.unlock', 30_000)
  again.keys('q')
  const last = await again.waitFor(s => /keeps running/.test(s) && /exit 0/.test(s), 'tern exits, the daemon stays', 10_000)
  t.match(last, new RegExp(`pid ${second}`), 'tern says which daemon stays')
  t.equal((await status()).locked, false, 'the kept daemon still serves, unlocked')
  process.kill(second, 'SIGTERM')
  t.ok(await waitForExit(second, 20_000), 'stopped by pid')
})

/**
 * The TUI against a remote daemon: `tern daemon --rpc-tcp 127.0.0.1:PORT` serves the API over TCP with the token in
 * `<home>/rpc.token`, and `tern --connect HOST:PORT --token-file F` in tmux runs the same exchange as test/tui-e2e.
 * Without the token a TCP client gets nothing but the error; a non-loopback host is refused without the insecure flag.
 */
import '../node/polyfill.js'
import t from 'tap'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RpcErrorCode, connect } from '../node/rpc/index.js'
import { TEST_KDF_LOG_N, TestDaemon, initTestHome, until } from './helpers/testnet.js'
import { spawnRelay } from './helpers/relay-process.js'
import { TmuxPane, runPiped, ternArgv, ternInShell } from './helpers/tmux.js'
import { exchangeByKeystrokes } from './helpers/tui-flow.js'
import { RawConn, rpcCall } from './rpc-helpers.js'
import { TOKEN_FILE, ensureRpcToken } from '../node/daemon.js'
import { parseHostPort } from '../cli/commands/node.js'

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen({ host: '127.0.0.1', port: 0 }, () => {
      const a = s.address()
      const port = typeof a === 'object' && a !== null ? a.port : 0
      s.close(() => { resolve(port) })
    })
  })
}

t.test('remote TUI over TCP with a token file, and nothing without the token', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'tern-remote-'))
  const nodes: TestDaemon[] = []
  let relay: Awaited<ReturnType<typeof spawnRelay>> | undefined
  t.teardown(async () => {
    for (const n of nodes) await n.stop().catch(() => {})
    await relay?.cleanup().catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  })
  const cfg = join(dir, 'relay.json')
  writeFileSync(cfg, JSON.stringify({ allowPrivateAddresses: true }))
  relay = await spawnRelay({ args: ['--config', cfg], dataDir: join(dir, 'relay') })
  const port = await freePort()
  const aliceHome = join(dir, 'alice')
  const bobHome = join(dir, 'bob')
  const alice = new TestDaemon(aliceHome, relay.addrs[0], { extraArgs: ['--rpc-tcp', `127.0.0.1:${port}`] }, await initTestHome(aliceHome, 'Alice', []))
  const bob = new TestDaemon(bobHome, relay.addrs[0], {}, await initTestHome(bobHome, 'Bob', []))
  nodes.push(alice, bob)
  await Promise.all(nodes.map(async n => { await n.start() }))

  const listening = await alice.waitForLog(o => o.msg === 'listening')
  t.same(listening.tcp, { host: '127.0.0.1', port }, 'the daemon logs its TCP address')
  const tokenFile = join(aliceHome, 'rpc.token')
  t.equal(statSync(tokenFile).mode & 0o777, 0o600, 'rpc.token is 0600')
  const token = readFileSync(tokenFile, 'utf8').trim()
  t.match(token, /^[A-Za-z0-9_-]{43,}$/, 'a base64url token of at least 32 bytes')

  t.test('any call before auth gets only UNAUTHORIZED', async t => {
    const c = await RawConn.open({ host: '127.0.0.1', port })
    t.teardown(() => { c.close() })
    for (const [i, m] of ['node.status', 'contacts.list', 'messages.list', 'rpc.discover'].entries()) {
      const r = await c.call(m, m === 'messages.list' ? { with: 'x' } : undefined, i)
      t.same(Object.keys(r).sort(), ['error', 'id', 'jsonrpc'], `${m}: no result`)
      t.equal(r.error.code, RpcErrorCode.UNAUTHORIZED, `${m}: UNAUTHORIZED`)
      t.notMatch(JSON.stringify(r), /Alice|Bob|12D3/, `${m}: nothing about the node`)
    }
  })

  t.test('a wrong token gets the error and a closed connection', async t => {
    const c = await RawConn.open({ host: '127.0.0.1', port })
    c.send(rpcCall('auth', { token: token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A') }, 1))
    c.send(rpcCall('contacts.list', undefined, 2))
    const r = await c.next()
    t.equal(r.error.code, RpcErrorCode.UNAUTHORIZED)
    await c.closed
    t.equal(c.pendingLines, 0, 'the pipelined call got nothing')
  })

  t.test('tern --connect with a wrong or missing token file shows only the error', async t => {
    const bad = join(dir, 'bad.token')
    writeFileSync(bad, 'not-the-token-not-the-token-not-the-token\n')
    for (const [file, expect] of [[bad, /UNAUTHORIZED|unauthorized/], [join(dir, 'missing.token'), /ENOENT|no such file/]] as const) {
      const pane = await TmuxPane.start(t, { argv: ternInShell('--connect', `127.0.0.1:${port}`, '--token-file', file) })
      const screen = await pane.waitFor(s => expect.test(s) && /exit [1-9]/.test(s), `the error for ${file}`, 20_000)
      t.notMatch(screen, /Contacts|Alice|12D3/, 'nothing from the node on screen')
      pane.kill()
    }
  })

  t.test('the exchange through tern --connect', async t => {
    const pane = await TmuxPane.start(t, { argv: ternArgv('--connect', `127.0.0.1:${port}`, '--token-file', tokenFile) })
    await exchangeByKeystrokes(t, pane, alice, bob)
    pane.keys('C-c')
    t.ok(await until(() => !pane.alive(), 'tern quits', 10_000), 'tern exited')
    t.ok(alice.running, 'the remote daemon keeps running')
    const c = await connect({ host: '127.0.0.1', port, token, reconnect: false })
    t.equal((await c.call<{ locked: boolean }>('node.status')).locked, false, 'the right token works')
    await c.close()
  })
})

t.test('a non-loopback --rpc-tcp host is refused without --rpc-tcp-insecure', async t => {
  const home = mkdtempSync(join(tmpdir(), 'tern-insecure-'))
  t.teardown(() => { rmSync(home, { recursive: true, force: true }) })
  const r = await runPiped(ternArgv('daemon', '--home', home, '--rpc-tcp', '0.0.0.0:0'), { TERN_TEST_KDF_LOG_N: String(TEST_KDF_LOG_N) })
  t.not(r.code, 0)
  t.match(r.stderr, /ERR_INSECURE_LISTEN/)
  t.notOk(existsSync(join(home, 'rpc.token')), 'refused before any token is made')

  const d = new TestDaemon(home, undefined, { unlock: false, extraArgs: ['--rpc-tcp', '0.0.0.0:0', '--rpc-tcp-insecure'] })
  t.teardown(async () => { await d.stop() })
  await d.start()
  const listening = await d.waitForLog(o => o.msg === 'listening')
  const tcp = listening.tcp as { host: string, port: number }
  t.equal(tcp.host, '0.0.0.0', 'with --rpc-tcp-insecure it listens')
  const c = await connect({ host: '127.0.0.1', port: tcp.port, token: readFileSync(join(home, 'rpc.token'), 'utf8').trim(), reconnect: false })
  t.same(await c.call('node.status'), { locked: true, initialised: false }, 'and answers after auth')
  await c.close()
})

t.test('--rpc-tcp parsing and the token file', async t => {
  t.same(parseHostPort('127.0.0.1:7878'), { host: '127.0.0.1', port: 7878 })
  t.same(parseHostPort('[::1]:0'), { host: '::1', port: 0 })
  t.same(parseHostPort('localhost:1'), { host: 'localhost', port: 1 })
  for (const bad of ['127.0.0.1', ':80', '127.0.0.1:', '127.0.0.1:70000', '::1:80', 'a b:1']) t.throws(() => parseHostPort(bad), bad)

  const home = mkdtempSync(join(tmpdir(), 'tern-token-'))
  t.teardown(() => { rmSync(home, { recursive: true, force: true }) })
  const first = await ensureRpcToken(home)
  t.match(first, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url')
  t.equal(statSync(join(home, TOKEN_FILE)).mode & 0o777, 0o600, 'created 0600')
  t.equal(await ensureRpcToken(home), first, 'kept across restarts')
  writeFileSync(join(home, TOKEN_FILE), 'my-own-token-of-enough-length\n', { mode: 0o644 })
  t.equal(await ensureRpcToken(home), 'my-own-token-of-enough-length', 'an existing token is used as it is')
  t.equal(statSync(join(home, TOKEN_FILE)).mode & 0o777, 0o600, 'and made 0600')
  t.not(await ensureRpcToken(mkdtempSync(join(home, 'other-'))), first, 'another home, another token')
})

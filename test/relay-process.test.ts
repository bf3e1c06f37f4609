/**
 * The `tern relay` process: listening line first, persistent identity, --print-address, metrics, SIGHUP, SIGTERM.
 */
import '../node/polyfill.js'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { runRelayOnce, spawnRelay } from './helpers/relay-process.js'

const dir = mkdtempSync(join(tmpdir(), 'tern-relay-proc-'))
const dataDir = join(dir, 'data')
const configPath = join(dir, 'relay.json')
t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })

const writeConfig = (maxReservations: number): void => {
  writeFileSync(configPath, JSON.stringify({
    allowPrivateAddresses: true,
    relay: { maxReservations },
    mailbox: { maxEnvelopeBytes: 65536 + maxReservations }
  }))
}

t.test('first start: listening line, key file, metrics, SIGHUP, SIGTERM', async t => {
  writeConfig(1000)
  const relay = await spawnRelay({ dataDir, args: ['--config', configPath, '--metrics', '127.0.0.1:0'] })
  t.teardown(relay.cleanup)

  const first = JSON.parse(relay.firstLine) as Record<string, unknown>
  t.same(Object.keys(first), ['msg', 'addrs'], 'the first line is exactly {msg, addrs}')
  t.equal(first.msg, 'listening')
  t.ok(relay.addrs.length > 0, 'at least one address')
  for (const a of relay.addrs) t.match(a, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3Koo\w+$/, `full multiaddr ${a}`)
  t.match(relay.peerId, /^12D3Koo/)

  const st = statSync(join(dataDir, 'identity.key'))
  t.equal(st.mode & 0o777, 0o600, 'identity key is mode 0600')

  const started = await relay.waitForLog(o => o.msg === 'started')
  t.equal(started.peerId, relay.peerId)
  const metricsAddr = String(started.metrics)
  const res = await fetch(`http://${metricsAddr}/metrics`)
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type') ?? '', /text\/plain/)
  const text = await res.text()
  for (const name of [
    'tern_relay_info', 'tern_relay_connections', 'tern_relay_peers', 'tern_relay_reservations', 'tern_relay_relayed_connections',
    'tern_relay_mailbox_queues', 'tern_relay_mailbox_envelopes', 'tern_relay_mailbox_bytes', 'tern_relay_mailbox_events_total',
    'tern_relay_mailbox_refusals_total', 'tern_relay_reloads_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds'
  ]) {
    t.match(text, new RegExp(`^# TYPE ${name} `, 'm'), `metric ${name}`)
  }
  t.match(text, new RegExp(`tern_relay_info\\{version="[^"]+",peer_id="${relay.peerId}"\\} 1`))
  t.equal((await fetch(`http://${metricsAddr}/nope`)).status, 404)

  writeConfig(4321)
  relay.signal('SIGHUP')
  const reloaded = await relay.waitForLog(o => o.msg === 'reloaded')
  t.ok((reloaded.applied as string[]).includes('relay.maxReservations'), 'relay limits applied at runtime')
  t.ok((reloaded.applied as string[]).includes('mailbox'), 'mailbox limits applied at runtime')
  t.equal((reloaded.relayLimits as { maxReservations: number }).maxReservations, 4321)
  const after = await (await fetch(`http://${metricsAddr}/metrics`)).text()
  t.match(after, /tern_relay_reloads_total\{result="ok"\} 1/)

  writeFileSync(configPath, '{ not json')
  relay.signal('SIGHUP')
  const failed = await relay.waitForLog(o => o.msg === 'reload failed; keeping the running config')
  t.equal((failed.err as { name: string }).name, 'ConfigError')

  // --print-address while the relay holds the port (and the mailbox DB) still answers, from the config
  const busy = relay.addrs[0].split('/p2p/')[0]
  const out = await runRelayOnce(['--data', dataDir, '--listen', busy, '--print-address'])
  t.equal(out.code, 0, 'print-address works while the relay runs')
  t.equal(out.stdout.trim(), relay.addrs[0])

  const code = await relay.stop('SIGTERM')
  t.equal(code, 0, 'SIGTERM exits 0')
  t.ok(relay.lines.some(l => l.includes('"msg":"stopped"')), 'logged stopped')
  t.ok(relay.lines.every(l => { try { JSON.parse(l); return true } catch { return false } }), 'every stdout line is JSON')
  t.notOk(relay.lines.join('\n').includes('identity.key"') && relay.lines.join('\n').includes('privateKey'), 'no key material logged')

})

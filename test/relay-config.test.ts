/**
 * Relay configuration: defaults, file ← flags precedence, validation errors (bootstrap/config.ts).
 */
import t from 'tap'
import {
  ConfigError, DEFAULT_CONNECTION_LIMITS, DEFAULT_RELAY_LIMITS, defaultDataDir, parseHostPort, resolveConfig
} from '../bootstrap/config.js'
import { relayServerInit } from '../bootstrap/relay.js'

t.test('default data dir: STATE_DIRECTORY, then XDG_DATA_HOME, then ~/.local/share', async t => {
  t.equal(defaultDataDir({ STATE_DIRECTORY: '/var/lib/tern-relay:/other' }), '/var/lib/tern-relay')
  t.equal(defaultDataDir({ XDG_DATA_HOME: '/x' }), '/x/tern-relay')
  t.match(defaultDataDir({ HOME: '/home/u' }), /\.local\/share\/tern-relay$/)
})

t.test('defaults are chat-sized, not libp2p\'s', async t => {
  const c = resolveConfig(undefined, {}, {})
  t.same(c.listen, ['/ip4/0.0.0.0/tcp/4001'])
  t.ok(c.relay.maxReservations >= 10_000)
  t.ok(c.relay.dataLimitBytes >= 64 * 1024 * 1024, 'data limit far above libp2p\'s 128 KiB')
  t.ok(c.relay.durationLimitMs >= 60 * 60 * 1000, 'duration far above libp2p\'s 120 s')
  t.equal(c.connections.connectionMonitor, false)
  t.ok(c.connections.maxConnections > c.relay.maxReservations, 'every reserved peer can stay connected')
  t.equal(c.allowPrivateAddresses, false)
  const init = relayServerInit(DEFAULT_RELAY_LIMITS)
  t.equal(init?.reservations?.defaultDataLimit, BigInt(DEFAULT_RELAY_LIMITS.dataLimitBytes))
  t.equal(init?.reservations?.defaultDurationLimit, DEFAULT_RELAY_LIMITS.durationLimitMs)
  t.equal(DEFAULT_CONNECTION_LIMITS.inboundConnectionThreshold >= 100, true)
})

t.test('flags win over the file; the file wins over defaults', async t => {
  const file = {
    dataDir: '/from/file',
    listen: ['/ip4/127.0.0.1/tcp/1'],
    announce: ['/dns4/a.example/tcp/4001'],
    metrics: '127.0.0.1:9464',
    relay: { maxReservations: 20 },
    connections: { inboundConnectionThreshold: 7 },
    mailbox: { queueMaxEnvelopes: 5 },
    mailboxOwners: ['12D3KooWxyz']
  }
  const c = resolveConfig(file, { data: '/from/flag', listen: ['/ip4/127.0.0.1/tcp/2'], metrics: '[::1]:9000' }, {})
  t.equal(c.dataDir, '/from/flag')
  t.same(c.listen, ['/ip4/127.0.0.1/tcp/2'])
  t.same(c.announce, ['/dns4/a.example/tcp/4001'])
  t.equal(c.metrics, '[::1]:9000')
  t.equal(c.relay.maxReservations, 20)
  t.equal(c.relay.reservationTtlMs, DEFAULT_RELAY_LIMITS.reservationTtlMs, 'unset keys keep defaults')
  t.equal(c.connections.inboundConnectionThreshold, 7)
  t.same(c.mailbox, { queueMaxEnvelopes: 5 })
  t.same(c.mailboxOwners, ['12D3KooWxyz'])
})

t.test('errors are ConfigError with a useful message', async t => {
  const bad: Array<[unknown, RegExp]> = [
    [{ nope: 1 }, /unknown config key "nope"/],
    [{ relay: { maxReservation: 1 } }, /relay\.maxReservation/],
    [{ relay: { maxReservations: -1 } }, /relay\.maxReservations must be a positive integer/],
    [{ relay: { durationLimitMs: 2 ** 33 } }, /32 bits/],
    [{ connections: { connectionMonitor: 'no' } }, /connections\.connectionMonitor must be a boolean/],
    [{ mailbox: { queueMaxEnvlopes: 1 } }, /mailbox\.queueMaxEnvlopes/],
    [{ listen: ['not-a-multiaddr'] }, /not a multiaddr/],
    [{ metrics: 'localhost' }, /HOST:PORT/],
    [{ logLevel: 'loud' }, /logLevel/]
  ]
  for (const [file, re] of bad) {
    t.throws(() => resolveConfig(file as Record<string, unknown>, {}, {}), { name: 'ConfigError', code: 'ERR_RELAY_CONFIG', message: re }, JSON.stringify(file))
  }
  t.ok(new ConfigError('x') instanceof Error)
})

t.test('parseHostPort', async t => {
  t.same(parseHostPort('127.0.0.1:9464'), { host: '127.0.0.1', port: 9464 })
  t.same(parseHostPort('[::1]:80'), { host: '::1', port: 80 })
  t.same(parseHostPort(':0'), { host: '127.0.0.1', port: 0 })
  t.throws(() => parseHostPort('a:99999'))
})

/**
 * `tern relay --print-address` (creates the identity if needed, prints full multiaddrs, exits 0) and config errors.
 */
import '../node/polyfill.js'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { runRelayOnce } from './helpers/relay-process.js'

const dir = mkdtempSync(join(tmpdir(), 'tern-relay-cli-'))
const dataDir = join(dir, 'data')
t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })

t.test('--print-address prints the full addresses and exits', async t => {
  const [out, ann] = await Promise.all([
    runRelayOnce(['--data', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--print-address']),
    runRelayOnce(['--data', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--announce', '/dns4/relay.example.org/tcp/4001', '--print-address'])
  ])
  t.equal(out.code, 0)
  const lines = out.stdout.trim().split('\n')
  t.ok(lines.length > 0)
  const peerId = lines[0].split('/p2p/')[1]
  t.match(peerId, /^12D3Koo/)
  for (const l of lines) t.match(l, new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${peerId}$`))
  t.equal(ann.code, 0)
  t.equal(ann.stdout.trim(), `/dns4/relay.example.org/tcp/4001/p2p/${peerId}`, 'both runs share one identity')
  t.equal(statSync(join(dataDir, 'identity.key')).mode & 0o777, 0o600, 'the key file it created is mode 0600')
})

t.test('a bad config exits 2 with a message on stderr', async t => {
  const bad = join(dir, 'bad.json')
  writeFileSync(bad, JSON.stringify({ relay: { maxReservations: 'lots' } }))
  const out = await runRelayOnce(['--data', join(dir, 'bad-data'), '--config', bad])
  t.equal(out.code, 2)
  t.match(out.stderr, /relay\.maxReservations must be a number/)
  t.equal(out.stdout, '')
})

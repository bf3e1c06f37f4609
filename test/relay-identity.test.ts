/**
 * The relay's persistent identity across restarts.
 */
import '../node/polyfill.js'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { spawnRelay } from './helpers/relay-process.js'

const dir = mkdtempSync(join(tmpdir(), 'tern-relay-id-'))
const dataDir = join(dir, 'data')
t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })

t.test('identity: created once, mode 0600, same PeerId after restart', async t => {
  const relay = await spawnRelay({ dataDir })
  t.teardown(relay.cleanup)
  t.equal(statSync(join(dataDir, 'identity.key')).mode & 0o777, 0o600, 'identity key is mode 0600')
  t.ok(relay.lines.some(l => l.includes('"msg":"identity created"')) || (await relay.waitForLog(o => o.msg === 'identity created')) !== undefined, 'logged identity created')
  t.equal(await relay.stop('SIGTERM'), 0)

  await t.test('restart with the same --data keeps the PeerId', async t => {
    const again = await spawnRelay({ dataDir })
    t.teardown(again.cleanup)
    t.equal(again.peerId, relay.peerId)
    t.notOk(again.lines.some(l => l.includes('identity created')), 'no new identity')
    t.equal(await again.stop('SIGINT'), 0, 'SIGINT exits 0')
  })
})

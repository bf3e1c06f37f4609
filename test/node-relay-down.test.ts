/**
 * A relay that is down when the daemon starts must not stop the node: it unlocks, serves, and reserves on the
 * relay by itself once the relay is back (patches/@libp2p+circuit-relay-v2: js-libp2p issue #3601).
 */
import '../node/polyfill.js'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { spawnRelay } from './helpers/relay-process.js'
import { TestDaemon, initTestHome, until } from './helpers/testnet.js'

interface Status { locked: boolean, relays: Array<{ peerId: string, reserved: boolean }> }

t.test('relay down at start: the daemon unlocks, then reserves when the relay comes back', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'tern-relay-down-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const cfg = join(dir, 'relay.json')
  writeFileSync(cfg, JSON.stringify({ allowPrivateAddresses: true }))
  const dataDir = join(dir, 'relay-data')

  // learn the relay's address (its identity persists in dataDir), then stop it
  let relay = await spawnRelay({ dataDir, args: ['--config', cfg] })
  const addr = relay.addrs.find(a => a.startsWith('/ip4/127.0.0.1/')) ?? relay.addrs[0]
  const port = /\/tcp\/(\d+)\//.exec(addr)?.[1]
  t.ok(port, `relay at ${addr}`)
  t.equal(await relay.stop(), 0, 'relay stopped')

  const home = join(dir, 'alice')
  await initTestHome(home, 'alice', [addr])
  const alice = new TestDaemon(home, undefined, {})
  t.teardown(async () => { await alice.stop().catch(() => {}) })
  await alice.start()
  const st = await alice.call<Status>('node.status')
  t.equal(st.locked, false, 'unlocked although its only relay is down')
  t.equal(st.relays[0]?.reserved, false, 'no reservation yet')

  relay = await spawnRelay({ dataDir, args: ['--config', cfg, '--listen', `/ip4/127.0.0.1/tcp/${port as string}`] })
  t.teardown(relay.cleanup)
  t.equal(relay.peerId, st.relays[0]?.peerId, 'the same relay is back')
  const t0 = Date.now()
  await until(async () => (await alice.call<Status>('node.status')).relays[0]?.reserved === true, 'reserved after the relay came back', 60_000, 200)
  t.pass(`reserved ${Date.now() - t0} ms after the relay was back`)
})

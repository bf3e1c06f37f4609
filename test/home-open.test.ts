import t from 'tap'
import { readdir, readFile } from 'node:fs/promises'
import { initHome, openHome, homePaths, acquireHomeLock } from '../node/home/index.js'
import { readTree, tmpDir } from './helpers/tmp.js'

const CHEAP = { kdf: { N: 1024, r: 8, p: 1 } }
const RELAY = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'

t.test('initHome then openHome: config, secrets, store, lock; close releases', async t => {
  const home = await tmpDir(t)
  const cfg = await initHome(home, { config: { name: 'Alice', relays: [RELAY] }, passphrase: 'pw', secrets: { identity: new Uint8Array([1, 2]) }, ...CHEAP })
  t.equal(cfg.name, 'Alice')
  t.same((await readdir(home)).sort(), ['config.json', 'db', 'keys.json'])
  const h = await openHome(home, 'pw')
  t.same(h.secrets.identity, new Uint8Array([1, 2]))
  t.equal(h.config.relays[0], RELAY)
  await t.rejects(openHome(home, 'pw'), { code: 'ERR_HOME_IN_USE' })
  await h.store.events.append('started')
  await h.close()
  t.same(h.secrets.identity, new Uint8Array([0, 0]), 'secrets wiped on close')
  const again = await openHome(home, 'pw')
  t.equal(again.store.events.tail(), 1)
  await again.close()
  await t.rejects(initHome(home, { config: { name: 'B', relays: [] }, passphrase: 'pw', secrets: {}, ...CHEAP }), { code: 'ERR_ALREADY_INITIALIZED' })
})

t.test('a wrong passphrase or bad config changes nothing and releases the lock', async t => {
  const home = await tmpDir(t)
  await t.rejects(openHome(home, 'pw'), { code: 'ERR_NOT_INITIALIZED' })
  await t.rejects(initHome(home, { config: { name: '', relays: [] }, passphrase: 'pw', secrets: {}, ...CHEAP }), { code: 'ERR_CONFIG' })
  t.same(await readdir(home), [], 'invalid config: nothing written')
  await initHome(home, { config: { name: 'A', relays: [] }, passphrase: 'pw', secrets: {}, ...CHEAP })
  const before = await readTree(home)
  await t.rejects(openHome(home, 'wrong'), { code: 'ERR_WRONG_PASSPHRASE' })
  const after = await readTree(home)
  t.same(after.map(f => f.path), before.map(f => f.path))
  t.ok(after.every((f, i) => f.bytes.equals(before[i].bytes)), 'every file byte-identical')
  const lock = await acquireHomeLock(home) // released
  await lock.release()
  t.ok(await readFile(homePaths(home).keys))
})

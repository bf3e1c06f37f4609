import t from 'tap'
import { stat, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { resolveHome, homePaths, readConfig, writeConfig, validateConfig } from '../node/home/index.js'
import { ConfigError } from '../node/errors.js'
import { tmpDir } from './helpers/tmp.js'

const RELAY = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'

t.test('resolveHome: --home, then TERN_HOME, then XDG_DATA_HOME/tern, then ~/.local/share/tern', async t => {
  const env = { TERN_HOME: '/env/tern', XDG_DATA_HOME: '/xdg' }
  t.equal(resolveHome({ home: 'rel', env, cwd: '/cwd', userHome: '/u' }), '/cwd/rel')
  t.equal(resolveHome({ env, userHome: '/u' }), '/env/tern')
  t.equal(resolveHome({ env: { XDG_DATA_HOME: '/xdg' }, userHome: '/u' }), '/xdg/tern')
  t.equal(resolveHome({ env: { XDG_DATA_HOME: 'relative' }, userHome: '/u' }), '/u/.local/share/tern', 'relative XDG ignored')
  t.equal(resolveHome({ env: { TERN_HOME: '' }, userHome: '/u' }), '/u/.local/share/tern', 'empty TERN_HOME ignored')
  t.equal(homePaths('/h').keys, '/h/keys.json')
  t.equal(homePaths('/h').lock, '/h/daemon.pid')
})

t.test('config round trip, mode 0600, home 0700, unknown fields kept', async t => {
  const home = join(await tmpDir(t), 'home')
  const written = await writeConfig(home, { name: 'Alice', relays: [RELAY], future: { x: 1 } })
  t.equal(written.version, 1)
  const read = await readConfig(home)
  t.same(read, { name: 'Alice', relays: [RELAY], future: { x: 1 }, version: 1 })
  t.equal((await stat(homePaths(home).config)).mode & 0o777, 0o600)
  t.equal((await stat(home)).mode & 0o777, 0o700)
  await writeConfig(home, { ...read, name: 'Alice B' })
  t.equal((await readConfig(home)).name, 'Alice B')
})

t.test('config errors are typed and list every bad field', async t => {
  const home = await tmpDir(t)
  await t.rejects(readConfig(home), { code: 'ERR_NOT_INITIALIZED' })
  const err = t.throws(() => validateConfig({ version: 1, name: '', relays: [RELAY, '/ip4/1.2.3.4/tcp/x', '/ip4/1.2.3.4/tcp/1'] })) as ConfigError
  t.equal(err.code, 'ERR_CONFIG')
  t.same(err.issues.map(i => i.field), ['name', 'relays[1]', 'relays[2]'])
  t.equal(err.field, 'name')
  t.throws(() => validateConfig({ version: 1, name: 'a\u0007', relays: [] }), { code: 'ERR_CONFIG', field: 'name' })
  t.throws(() => validateConfig({ version: 1, name: 'x'.repeat(65), relays: [] }), { code: 'ERR_CONFIG', field: 'name' })
  t.throws(() => validateConfig({ version: 2, name: 'a', relays: [] }), { code: 'ERR_CONFIG', field: 'version' })
  t.throws(() => validateConfig({ version: 1, name: 'a', relays: 'nope' }), { code: 'ERR_CONFIG', field: 'relays' })
  t.throws(() => validateConfig({ version: 1, name: 'a', relays: [], listen: ['bad'] }), { code: 'ERR_CONFIG', field: 'listen[0]' })
  t.throws(() => validateConfig([]), { code: 'ERR_CONFIG', field: '(file)' })
  await t.rejects(writeConfig(home, { name: 'ok', relays: [42 as unknown as string] }), { code: 'ERR_CONFIG', field: 'relays[0]' })
  await t.rejects(readConfig(home), { code: 'ERR_NOT_INITIALIZED' }, 'a rejected write writes nothing')
  await writeFile(homePaths(home).config, '{ not json')
  await t.rejects(readConfig(home), { code: 'ERR_CONFIG', field: '(file)' })
})

t.test('exclusive write (tern init) refuses to overwrite', async t => {
  const home = await tmpDir(t)
  await writeConfig(home, { name: 'A', relays: [] }, { exclusive: true })
  const before = await readFile(homePaths(home).config)
  await t.rejects(writeConfig(home, { name: 'B', relays: [] }, { exclusive: true }), { code: 'ERR_ALREADY_INITIALIZED' })
  t.same(await readFile(homePaths(home).config), before)
})

/**
 * bootstrap/identity-file.ts: created once with mode 0600, stable, safe against concurrent first starts.
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import t from 'tap'
import { IDENTITY_FILE, loadOrCreateIdentity } from '../bootstrap/identity-file.js'

const dir = mkdtempSync(join(tmpdir(), 'tern-relay-idfile-'))
t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })

t.test('created once, then loaded; Ed25519; mode 0600', async t => {
  const d = join(dir, 'a', 'nested')
  const first = await loadOrCreateIdentity(d)
  t.equal(first.created, true)
  t.equal(first.privateKey.type, 'Ed25519')
  t.equal(statSync(first.path).mode & 0o777, 0o600)
  t.equal(statSync(d).mode & 0o777, 0o700, 'data dir created 0700')
  const second = await loadOrCreateIdentity(d)
  t.equal(second.created, false)
  t.equal(peerIdFromPrivateKey(second.privateKey).toString(), peerIdFromPrivateKey(first.privateKey).toString())
  chmodSync(first.path, 0o644)
  await loadOrCreateIdentity(d)
  t.equal(statSync(first.path).mode & 0o777, 0o600, 'loose permissions tightened')
})

t.test('concurrent first starts agree on one key and leave no temp files', async t => {
  const d = join(dir, 'race')
  const all = await Promise.all(Array.from({ length: 8 }, async () => await loadOrCreateIdentity(d)))
  const ids = new Set(all.map(x => peerIdFromPrivateKey(x.privateKey).toString()))
  t.equal(ids.size, 1)
  t.same(readdirSync(d), [IDENTITY_FILE])
})

t.test('a corrupt key file is an error, never silently replaced', async t => {
  const d = join(dir, 'corrupt')
  await loadOrCreateIdentity(d)
  writeFileSync(join(d, IDENTITY_FILE), 'garbage')
  await t.rejects(loadOrCreateIdentity(d), { name: 'IdentityFileError', code: 'ERR_IDENTITY_FILE' })
})

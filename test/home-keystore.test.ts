import t from 'tap'
import { readFile, writeFile, stat, readdir } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import {
  initKeystore, unlockKeystore, changePassphrase, updateSecrets, readKeystoreInfo, homePaths, wipeKeys, DEFAULT_KDF
} from '../node/home/index.js'
import { decodeFile } from '../node/home/keystore.js'
import { sha256, toBase64url, utf8 } from '../protocol/crypto/index.js'
import { tmpDir } from './helpers/tmp.js'

/** Cheap scrypt for tests (the file records it); the default cost is measured once below. */
const CHEAP = { kdf: { N: 1024, r: 8, p: 1 } }
const PASS = 'correct horse battery staple'
const secrets = (): Record<string, Uint8Array> => ({
  identity: new Uint8Array(32).fill(7),
  'x25519.prekey-1': new Uint8Array([1, 2, 3]),
  empty: new Uint8Array(0)
})

t.test('round trip: init, unlock, info; file 0600; wiping', async t => {
  const home = await tmpDir(t)
  const made = await initKeystore(home, PASS, secrets(), CHEAP)
  t.equal(made.dbKey.length, 32)
  const got = await unlockKeystore(home, PASS)
  t.same(got.dbKey, made.dbKey)
  t.same(got.secrets, secrets())
  t.same(await readKeystoreInfo(home), { version: 1, kdf: CHEAP.kdf, names: ['empty', 'identity', 'x25519.prekey-1'] })
  t.equal((await stat(homePaths(home).keys)).mode & 0o777, 0o600)
  t.same(await readdir(home), ['keys.json'], 'no temp files left behind')
  wipeKeys(got)
  t.ok(got.dbKey.every(b => b === 0) && got.secrets.identity.every(b => b === 0))
  t.notOk(made.dbKey.every(b => b === 0), 'unlock returns independent copies')
})

t.test('passphrases are NFC-normalised', async t => {
  const home = await tmpDir(t)
  await initKeystore(home, 'caf\u00e9', {}, CHEAP)
  t.ok(await unlockKeystore(home, 'cafe\u0301'))
})

t.test('wrong passphrase: ERR_WRONG_PASSPHRASE and the file is byte-identical', async t => {
  const home = await tmpDir(t)
  await initKeystore(home, PASS, secrets(), CHEAP)
  const before = await readFile(homePaths(home).keys)
  await t.rejects(unlockKeystore(home, 'wrong'), { code: 'ERR_WRONG_PASSPHRASE' })
  await t.rejects(changePassphrase(home, 'wrong', 'new pass', CHEAP), { code: 'ERR_WRONG_PASSPHRASE' })
  await t.rejects(updateSecrets(home, 'wrong', { identity: null }), { code: 'ERR_WRONG_PASSPHRASE' })
  t.same(await readFile(homePaths(home).keys), before)
  t.same(await readdir(home), ['keys.json'])
  t.ok(await unlockKeystore(home, PASS))
})

t.test('init twice: ERR_ALREADY_INITIALIZED, nothing changed; missing: ERR_NOT_INITIALIZED', async t => {
  const home = await tmpDir(t)
  await t.rejects(unlockKeystore(home, PASS), { code: 'ERR_NOT_INITIALIZED' })
  await initKeystore(home, PASS, secrets(), CHEAP)
  const before = await readFile(homePaths(home).keys)
  await t.rejects(initKeystore(home, 'other', {}, CHEAP), { code: 'ERR_ALREADY_INITIALIZED' })
  t.same(await readFile(homePaths(home).keys), before)
  await t.rejects(initKeystore(home, '', {}, CHEAP), { code: 'ERR_INVALID_ARGUMENT' })
  await t.rejects(initKeystore(home, PASS, { 'bad/name': new Uint8Array(1) }, CHEAP), { code: 'ERR_INVALID_ARGUMENT' })
  await t.rejects(initKeystore(home, PASS, {}, { kdf: { N: 1000 } }), { code: 'ERR_INVALID_ARGUMENT' })
})

t.test('damaged or tampered keys.json: ERR_CORRUPT_STORE', async t => {
  const home = await tmpDir(t)
  await initKeystore(home, PASS, secrets(), CHEAP)
  const path = homePaths(home).keys
  const good = await readFile(path, 'utf8')
  const rechecksum = (f: ReturnType<typeof decodeFile>): string => {
    const canon = JSON.stringify([f.format, f.version, f.kdf.name, f.kdf.N, f.kdf.r, f.kdf.p, f.kdf.salt, f.dbKey.nonce,
      f.dbKey.ct, f.secrets.names, f.secrets.nonce, f.secrets.ct])
    return JSON.stringify({ ...f, checksum: toBase64url(sha256(utf8(canon))) })
  }
  const flip = (s: string): string => (s[3] === 'A' ? 'B' : 'A')
  const cases: Array<[string, string]> = [
    ['truncated', good.slice(0, good.length / 2)],
    ['not json', 'garbage'],
    ['wrong format', good.replace('tern-keystore', 'other')],
    ['future version', good.replace('"version": 1', '"version": 2')],
    ['flipped ciphertext char (checksum)', (() => { const f = JSON.parse(good); f.secrets.ct = f.secrets.ct.slice(0, 3) + flip(f.secrets.ct) + f.secrets.ct.slice(4); return JSON.stringify(f) })()],
    ['secrets forged, checksum recomputed', (() => { const f = decodeFile(good); f.secrets.ct = f.secrets.ct.slice(0, 3) + flip(f.secrets.ct) + f.secrets.ct.slice(4); return rechecksum(f) })()],
    ['secret renamed, checksum recomputed (AD binds names)', (() => { const f = decodeFile(good); f.secrets.names = ['empty', 'identitz', 'x25519.prekey-1']; return rechecksum(f) })()],
    ['hostile KDF cost', (() => { const f = decodeFile(good); f.kdf.N = 2 ** 30; return rechecksum(f) })()]
  ]
  for (const [name, text] of cases) {
    await writeFile(path, text)
    await t.rejects(unlockKeystore(home, PASS), { code: 'ERR_CORRUPT_STORE' }, name)
  }
})

t.test('changePassphrase keeps the keys; updateSecrets adds, replaces, removes atomically', async t => {
  const home = await tmpDir(t)
  const made = await initKeystore(home, PASS, secrets(), CHEAP)
  await changePassphrase(home, PASS, 'new pass', { kdf: { N: 2048 } })
  await t.rejects(unlockKeystore(home, PASS), { code: 'ERR_WRONG_PASSPHRASE' })
  const after = await unlockKeystore(home, 'new pass')
  t.same(after.dbKey, made.dbKey)
  t.same(after.secrets, secrets())
  t.equal((await readKeystoreInfo(home)).kdf.N, 2048)
  const upd = await updateSecrets(home, 'new pass', { identity: null, added: new Uint8Array([9]), empty: new Uint8Array([5]) })
  t.same(Object.keys(upd.secrets).sort(), ['added', 'empty', 'x25519.prekey-1'])
  const again = await unlockKeystore(home, 'new pass')
  t.same(again.secrets, { added: new Uint8Array([9]), empty: new Uint8Array([5]), 'x25519.prekey-1': new Uint8Array([1, 2, 3]) })
  t.same(again.dbKey, made.dbKey)
  t.same((await readdir(home)).sort(), ['keys.json'])
})

t.test('keys.json holds neither the secrets nor the passphrase nor the db key (raw, hex, base64)', async t => {
  const home = await tmpDir(t)
  const marker = utf8('SECRET-MARKER-0123456789abcdef-identity')
  const made = await initKeystore(home, 'PASSPHRASE-MARKER-xyz', { identity: marker }, CHEAP)
  const file = await readFile(homePaths(home).keys)
  for (const needle of [marker, utf8('PASSPHRASE-MARKER-xyz'), made.dbKey]) {
    const b = Buffer.from(needle)
    for (const form of [b, Buffer.from(b.toString('hex')), Buffer.from(b.toString('base64')), Buffer.from(b.toString('base64url'))]) {
      t.equal(file.indexOf(form), -1)
    }
  }
})

t.test('default KDF cost (N=2^17, r=8, p=1): timing', async t => {
  const home = await tmpDir(t)
  const t0 = performance.now()
  await initKeystore(home, PASS, secrets())
  const t1 = performance.now()
  await unlockKeystore(home, PASS)
  const t2 = performance.now()
  t.same((await readKeystoreInfo(home)).kdf, DEFAULT_KDF)
  t.comment(`scrypt default: init ${(t1 - t0).toFixed(0)} ms, unlock ${(t2 - t1).toFixed(0)} ms`)
})

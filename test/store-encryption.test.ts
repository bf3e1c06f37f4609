/** The encrypted LevelDB store on disk: tamper and swap detection, wrong key, cursors across reopen, no plaintext at rest. */
import t from 'tap'
import { join } from 'node:path'
import { createCipheriv } from 'node:crypto'
import { openStore, LevelKV, messageKey, contactKey, eventKey, metaKey, peerIndexKey, STORE_VALUE_VERSION, STORE_VALUE_VERSION_V1, VALUE_OVERHEAD, type Store } from '../node/store/index.js'
import { deriveValueKey } from '../node/store/schema.js'
import { initKeystore, unlockKeystore, writeConfig, homePaths } from '../node/home/index.js'
import type { CorruptStoreError } from '../node/errors.js'
import { utf8 } from '../protocol/crypto/index.js'
import { tmpDir, readTree } from './helpers/tmp.js'

const KEY = new Uint8Array(32).fill(3)
/** LevelDB below the store, once it holds every batch written so far (level-kv.ts applies them after the journal). */
const levelOf = async (st: Store): Promise<LevelKV['db']> => { await (st.kv as LevelKV).settle(); return (st.kv as LevelKV).db }

t.test('a value altered below the encryption is ERR_CORRUPT_STORE naming the key', async t => {
  const dir = join(await tmpDir(t), 'db')
  const st = await openStore(dir, KEY)
  const k = messageKey('contact1', 1)
  await st.putJson(k, { text: 'hello' })
  const raw = await (await levelOf(st)).get(k) as Uint8Array
  for (const i of [0, 1, 13, raw.length - 1]) { // version byte, nonce, ciphertext, tag
    const bad = new Uint8Array(raw); bad[i] ^= 1
    await (await levelOf(st)).put(k, bad)
    const err = await st.getJson(k).then(() => undefined, (e: unknown) => e as CorruptStoreError)
    t.equal(err?.code, 'ERR_CORRUPT_STORE', `byte ${i}`)
    t.equal(err?.where, k)
  }
  await (await levelOf(st)).put(k, raw.subarray(0, 10))
  await t.rejects(st.get(k), { code: 'ERR_CORRUPT_STORE', where: k }, 'truncated')
  await (await levelOf(st)).put(k, raw)
  t.same(await st.getJson(k), { text: 'hello' }, 'the original still opens')
  await st.close()
})

t.test('values of the first format (v1, AES-256-GCM) still open; writes are v2 (XChaCha20-Poly1305)', async t => {
  const dir = join(await tmpDir(t), 'db')
  const st = await openStore(dir, KEY)
  const k = messageKey('contact1', 2)
  // a v1 value as the first release wrote it: 0x01 || nonce(12) || AES-256-GCM(valueKey, plaintext, AD v1) || tag
  const nonce = new Uint8Array(12).fill(9)
  const c = createCipheriv('aes-256-gcm', deriveValueKey(KEY), nonce, { authTagLength: 16 })
  c.setAAD(Buffer.concat([Buffer.from('tern-store'), Buffer.from([0, 1, 0]), Buffer.from(k, 'latin1')]))
  const body = Buffer.concat([c.update(JSON.stringify({ text: 'old' })), c.final(), c.getAuthTag()])
  const v1 = new Uint8Array([STORE_VALUE_VERSION_V1, ...nonce, ...body])
  await (await levelOf(st)).put(k, v1)
  t.same(await st.getJson(k), { text: 'old' }, 'a v1 value opens')
  const relabelled = new Uint8Array(v1); relabelled[0] = STORE_VALUE_VERSION
  await (await levelOf(st)).put(k, relabelled)
  await t.rejects(st.get(k), { code: 'ERR_CORRUPT_STORE', where: k }, 'relabelled as v2, it fails')
  const unknown = new Uint8Array(v1); unknown[0] = 3
  await (await levelOf(st)).put(k, unknown)
  await t.rejects(st.get(k), /unknown version 3/, 'an unknown version is refused')
  await st.putJson(k, { text: 'new' })
  const raw = await (await levelOf(st)).get(k) as Uint8Array
  t.equal(raw[0], STORE_VALUE_VERSION, 'rewritten as v2')
  t.equal(raw.length, VALUE_OVERHEAD + utf8(JSON.stringify({ text: 'new' })).length, 'version, 24-byte nonce, ciphertext, tag')
  t.same(await st.getJson(k), { text: 'new' })
  await st.close()
})

t.test('values swapped between keys fail authentication (AD = key), also in scans', async t => {
  const dir = join(await tmpDir(t), 'db')
  const st = await openStore(dir, KEY)
  const a = contactKey('alice'); const b = contactKey('bob')
  await st.putJson(a, { name: 'Alice' })
  await st.putJson(b, { name: 'Bob' })
  const ra = await (await levelOf(st)).get(a) as Uint8Array; const rb = await (await levelOf(st)).get(b) as Uint8Array
  await (await levelOf(st)).batch([{ type: 'put', key: a, value: rb }, { type: 'put', key: b, value: ra }])
  await t.rejects(st.getJson(a), { code: 'ERR_CORRUPT_STORE', where: a })
  await t.rejects(st.getJson(b), { code: 'ERR_CORRUPT_STORE', where: b })
  await t.rejects(st.list({ gte: 'c/', lt: 'c0' }), { code: 'ERR_CORRUPT_STORE', where: a })
  await st.close()
})

t.test('a wrong database key is ERR_CORRUPT_STORE at open; a second open of the same db is ERR_HOME_IN_USE', async t => {
  const dir = join(await tmpDir(t), 'db')
  const st = await openStore(dir, KEY)
  await t.rejects(openStore(dir, KEY), { code: 'ERR_HOME_IN_USE' })
  await st.close()
  await t.rejects(openStore(dir, new Uint8Array(32).fill(4)), { code: 'ERR_CORRUPT_STORE', where: metaKey('check') })
  const again = await openStore(dir, KEY)
  await again.close()
  await t.rejects(openStore(dir, new Uint8Array(31)), { code: 'ERR_INVALID_ARGUMENT' })
})

t.test('event cursors stay monotonic across reopen, even after old events are pruned', async t => {
  const dir = join(await tmpDir(t), 'db')
  let st = await openStore(dir, KEY)
  for (let i = 1; i <= 5; i++) t.equal(await st.events.append('e', { i }), i)
  await st.close()
  st = await openStore(dir, KEY)
  t.equal(st.events.tail(), 5)
  t.equal(await st.events.append('e', { i: 6 }), 6)
  // prune everything, including the newest event: the cursor must still not go back
  await st.batch().del(eventKey(1)).del(eventKey(2)).del(eventKey(3)).del(eventKey(4)).del(eventKey(5)).del(eventKey(6)).write()
  await st.close()
  st = await openStore(dir, KEY)
  t.equal(st.events.tail(), 6)
  t.equal(await st.events.append('e', { i: 7 }), 7)
  t.same((await st.events.readAfter(0)).map(e => [e.cursor, e.data]), [[7, { i: 7 }]])
  await st.close()
})

t.test('NO PLAINTEXT AT REST: every file of the home (config, keys.json, .log, .ldb) scanned raw, hex and base64', async t => {
  const home = await tmpDir(t)
  const MARK = 'PLAINTEXT-MARKER-7f3a9c'
  const SECRET = utf8('IDENTITY-SECRET-MARKER-55e1')
  const PASS = 'PASSPHRASE-MARKER-c0ffee'
  const PEER = '12D3KooWPeerIdMarkerXYZ'
  await writeConfig(home, { name: 'Alice', relays: [] })
  const keys = await initKeystore(home, PASS, { identity: SECRET }, { kdf: { N: 1024, r: 8, p: 1 } })
  // a small write buffer forces table (.ldb) files as well as the log
  const st = await openStore(homePaths(home).db, keys.dbKey, { writeBufferSize: 64 * 1024, sync: false })
  const big = 'x'.repeat(2000)
  for (let i = 0; i < 400; i++) {
    await st.batch()
      .putJson(messageKey('c1', i), { text: `${MARK} message ${i} ${big}` })
      .put(contactKey(`c${i}`), utf8(`${MARK}${i}`))
      .putJson(peerIndexKey(st.blind('peer', PEER)), { contactId: 'c1' })
      .appendEvent('message.received', { preview: MARK, secret: Buffer.from(SECRET).toString('base64') })
      .write()
    if (i % 50 === 49) await (st.kv as LevelKV).settle() // LevelDB gets them in several writes: memtables fill and flush
  }
  // positive control: the scanner does find a marker written in clear below the encryption
  const CONTROL = 'CONTROL-MARKER-written-in-clear'
  await (await levelOf(st)).put('control', utf8(CONTROL))
  await st.close()

  const files = await readTree(home)
  const names = files.map(f => f.path.slice(home.length + 1))
  t.ok(names.some(n => n.endsWith('.log')), 'has a .log')
  t.ok(names.some(n => n.endsWith('.ldb')), 'has .ldb tables')
  t.ok(files.some(f => f.bytes.includes(Buffer.from(CONTROL))), 'positive control found')
  const needles: Array<[string, Buffer]> = []
  for (const [what, raw] of [['marker', Buffer.from(MARK)], ['secret', Buffer.from(SECRET)], ['passphrase', Buffer.from(PASS)],
    ['peer id', Buffer.from(PEER)], ['db key', Buffer.from(keys.dbKey)]] as Array<[string, Buffer]>) {
    needles.push([`${what} raw`, raw], [`${what} hex`, Buffer.from(raw.toString('hex'))],
      [`${what} base64`, Buffer.from(raw.toString('base64').replace(/=+$/, ''))], [`${what} base64url`, Buffer.from(raw.toString('base64url'))],
      [`${what} utf16`, Buffer.from(raw.toString('latin1'), 'utf16le')])
  }
  let hits = 0
  for (const f of files) {
    for (const [what, n] of needles) {
      if (f.bytes.includes(n)) { hits++; t.fail(`${what} found in ${f.path.slice(home.length + 1)}`) }
    }
  }
  t.equal(hits, 0, `${files.length} files, ${needles.length} needles: no hit`)
  // and everything still reads back
  const k2 = await unlockKeystore(home, PASS)
  const st2 = await openStore(homePaths(home).db, k2.dbKey)
  t.match(await st2.getJson(messageKey('c1', 399)), { text: new RegExp(`^${MARK} message 399`) })
  t.equal((await st2.events.readAfter(0, 1000)).length, 400)
  await st2.close()
})

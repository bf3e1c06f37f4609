/**
 * Behaviour of the ratchet API (PROTOCOL.md §6): a conversation both ways, the immutability contract, the receiver
 * not sending first, skipped and out-of-order messages, duplicates and replays from older chains, the skip limit,
 * the receiving-chain and skipped-key bounds, and argument checks. Every failure is a typed error.
 */
import t from 'tap'
import { equal, toHex, utf8, x25519KeyPair, seededRng } from '../protocol/crypto/index.js'
import {
  initReceiver, initSender, ratchetDecrypt, ratchetEncrypt, serializeState, MAX_SKIP, MAX_SKIPPED_KEYS,
  MAX_RECEIVING_CHAINS, ENCRYPTED_HEADER_BYTES, type RatchetState, type RatchetMessage
} from '../protocol/ratchet/index.js'
import { codeOf, newPair, snap } from './ratchet-helpers.js'

t.test('a conversation both ways, with state snapshots never mutated', async t => {
  let { alice, bob, rng } = newPair('basics-1')
  const history: Array<[RatchetState, string]> = []
  const keep = (s: RatchetState): void => { history.push([s, snap(s)]) }
  keep(alice); keep(bob)
  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < round + 1; i++) {
      const pt = utf8(`a${round}.${i}`)
      const e = ratchetEncrypt(alice, pt, rng)
      t.equal(e.message.header.length, ENCRYPTED_HEADER_BYTES)
      t.equal(e.message.body.length, pt.length + 16)
      keep(e.state); alice = e.state
      const d = ratchetDecrypt(bob, e.message)
      t.ok(equal(d.plaintext, pt)); keep(d.state); bob = d.state
    }
    const pt = utf8(`b${round}`)
    const e = ratchetEncrypt(bob, pt, rng); keep(e.state); bob = e.state
    const d = ratchetDecrypt(alice, e.message); keep(d.state); alice = d.state
    t.ok(equal(d.plaintext, pt))
  }
  for (const [s, before] of history) t.equal(snap(s), before, 'no operation mutated an earlier state')
})

t.test('the receiver cannot send before it has received', async t => {
  const { bob, rng } = newPair('basics-2')
  t.equal(codeOf(() => ratchetEncrypt(bob, utf8('hi'), rng)), 'ERR_RATCHET_NOT_READY')
})

t.test('out of order within a chain and across a DH step; duplicates and old-chain replays are typed', async t => {
  let { alice, bob, rng } = newPair('basics-3')
  const a: RatchetMessage[] = []
  for (let i = 0; i < 5; i++) { const e = ratchetEncrypt(alice, utf8(`a${i}`), rng); alice = e.state; a.push(e.message) }
  let r = ratchetDecrypt(bob, a[3]); bob = r.state; t.equal(Buffer.from(r.plaintext).toString(), 'a3')
  r = ratchetDecrypt(bob, a[0]); bob = r.state; t.equal(Buffer.from(r.plaintext).toString(), 'a0')
  t.equal(codeOf(() => ratchetDecrypt(bob, a[3])), 'ERR_DUPLICATE_MESSAGE', 'replay in the current chain')
  t.equal(codeOf(() => ratchetDecrypt(bob, a[0])), 'ERR_DUPLICATE_MESSAGE', 'replay of a skipped key')
  // Bob answers, Alice answers: Bob is now on Alice's second chain; a[1], a[2], a[4] are in an older chain
  let e = ratchetEncrypt(bob, utf8('b0'), rng); bob = e.state
  r = ratchetDecrypt(alice, e.message); alice = r.state
  e = ratchetEncrypt(alice, utf8('a-new'), rng); alice = e.state
  r = ratchetDecrypt(bob, e.message); bob = r.state; t.equal(Buffer.from(r.plaintext).toString(), 'a-new')
  for (const i of [4, 1, 2]) {
    r = ratchetDecrypt(bob, a[i]); bob = r.state; t.equal(Buffer.from(r.plaintext).toString(), `a${i}`)
  }
  for (const i of [0, 1, 2, 3, 4]) t.equal(codeOf(() => ratchetDecrypt(bob, a[i])), 'ERR_DUPLICATE_MESSAGE', `old-chain replay a${i}`)
  t.equal(codeOf(() => ratchetDecrypt(bob, e.message)), 'ERR_DUPLICATE_MESSAGE')
})

t.test('skip limit: exactly MAX_SKIP skips works, one more is typed and changes nothing', async t => {
  let { alice, bob, rng } = newPair('basics-4')
  const msgs: RatchetMessage[] = []
  for (let i = 0; i < MAX_SKIP + 2; i++) { const e = ratchetEncrypt(alice, utf8(`m${i}`), rng); alice = e.state; msgs.push(e.message) }
  const before = snap(bob)
  t.equal(codeOf(() => ratchetDecrypt(bob, msgs[MAX_SKIP + 1])), 'ERR_TOO_MANY_SKIPPED', 'new chain, n = MAX_SKIP + 1')
  t.equal(snap(bob), before)
  const r = ratchetDecrypt(bob, msgs[MAX_SKIP]); t.equal(Buffer.from(r.plaintext).toString(), `m${MAX_SKIP}`)
  bob = r.state
  // in the current chain: Nr = MAX_SKIP + 1; a message MAX_SKIP + 1 ahead is too far
  for (let i = 0; i < MAX_SKIP + 1; i++) { const e = ratchetEncrypt(alice, utf8('x'), rng); alice = e.state; msgs.push(e.message) }
  const b2 = snap(bob)
  t.equal(codeOf(() => ratchetDecrypt(bob, msgs[msgs.length - 1])), 'ERR_TOO_MANY_SKIPPED', 'current chain')
  t.equal(snap(bob), b2)
  t.ok(ratchetDecrypt(bob, msgs[msgs.length - 2]).plaintext, 'MAX_SKIP ahead in the current chain is fine')
})

t.test('skip limit on PN: a new chain whose previous chain is too far ahead is typed', async t => {
  let { alice, bob, rng } = newPair('basics-5')
  let e = ratchetEncrypt(alice, utf8('a0'), rng); alice = e.state
  bob = ratchetDecrypt(bob, e.message).state
  e = ratchetEncrypt(bob, utf8('b0'), rng); bob = e.state
  const bobReply = e.message
  for (let i = 0; i < MAX_SKIP + 1; i++) alice = ratchetEncrypt(alice, utf8('lost'), rng).state
  alice = ratchetDecrypt(alice, bobReply).state
  e = ratchetEncrypt(alice, utf8('next chain'), rng)
  const before = snap(bob)
  t.equal(codeOf(() => ratchetDecrypt(bob, e.message)), 'ERR_TOO_MANY_SKIPPED')
  t.equal(snap(bob), before)
})

t.test('skipped keys are bounded: the oldest are evicted beyond MAX_SKIPPED_KEYS', async t => {
  let { alice, bob, rng } = newPair('basics-6')
  const first: RatchetMessage[] = []
  // three chains from Alice, each skipping MAX_SKIP keys: 3 x 1000 > MAX_SKIPPED_KEYS
  for (let c = 0; c < 3; c++) {
    const msgs: RatchetMessage[] = []
    for (let i = 0; i <= MAX_SKIP; i++) { const e = ratchetEncrypt(alice, utf8(`c${c}m${i}`), rng); alice = e.state; msgs.push(e.message) }
    bob = ratchetDecrypt(bob, msgs[MAX_SKIP]).state
    first.push(msgs[0])
    const eb = ratchetEncrypt(bob, utf8('ack'), rng); bob = eb.state
    alice = ratchetDecrypt(alice, eb.message).state
  }
  let total = 0
  for (const ch of bob.recvChains) total += ch.skipped.size
  t.equal(total, MAX_SKIPPED_KEYS)
  t.equal(codeOf(() => ratchetDecrypt(bob, first[0])), 'ERR_DUPLICATE_MESSAGE', 'evicted key: reported as already gone')
  t.equal(Buffer.from(ratchetDecrypt(bob, first[2]).plaintext).toString(), 'c2m0', 'newest skipped keys kept')
})

t.test('receiving chains are bounded: replays from forgotten chains are unknown-header errors', async t => {
  let { alice, bob, rng } = newPair('basics-7')
  const firsts: RatchetMessage[] = []
  for (let round = 0; round < MAX_RECEIVING_CHAINS + 3; round++) {
    const e = ratchetEncrypt(alice, utf8(`r${round}`), rng); alice = e.state; firsts.push(e.message)
    bob = ratchetDecrypt(bob, e.message).state
    const eb = ratchetEncrypt(bob, utf8('ack'), rng); bob = eb.state
    alice = ratchetDecrypt(alice, eb.message).state
  }
  t.equal(bob.recvChains.length, MAX_RECEIVING_CHAINS)
  t.equal(codeOf(() => ratchetDecrypt(bob, firsts[0])), 'ERR_UNKNOWN_HEADER_KEY')
  t.equal(codeOf(() => ratchetDecrypt(bob, firsts[firsts.length - MAX_RECEIVING_CHAINS])), 'ERR_DUPLICATE_MESSAGE')
})

t.test('argument checks and malformed messages are typed', async t => {
  const { alice, bob, rng } = newPair('basics-8')
  const e = ratchetEncrypt(alice, utf8('x'), rng)
  t.equal(codeOf(() => ratchetDecrypt(bob, { header: e.message.header.subarray(0, 67), body: e.message.body })), 'ERR_MALFORMED_MESSAGE')
  t.equal(codeOf(() => ratchetDecrypt(bob, { header: e.message.header, body: new Uint8Array(3) })), 'ERR_AUTHENTICATION')
  t.equal(codeOf(() => ratchetDecrypt(bob, { header: 'x' as unknown as Uint8Array, body: e.message.body })), 'ERR_INVALID_ARGUMENT')
  t.equal(codeOf(() => ratchetEncrypt(alice, 'x' as unknown as Uint8Array, rng)), 'ERR_INVALID_ARGUMENT')
  const r = seededRng('args')
  const kp = x25519KeyPair(r)
  t.equal(codeOf(() => initSender({ rootKey: r(31), sendHeaderKey: r(32), nextRecvHeaderKey: r(32), remoteRatchetKey: kp.publicKey, associatedData: r(1), rng: r })), 'ERR_INVALID_ARGUMENT')
  t.equal(codeOf(() => initSender({ rootKey: r(32), sendHeaderKey: r(32), nextRecvHeaderKey: r(32), remoteRatchetKey: new Uint8Array(32), associatedData: r(1), rng: r })), 'ERR_INVALID_PUBLIC_KEY')
  t.equal(codeOf(() => initReceiver({ rootKey: r(32), sendHeaderKey: r(32), nextRecvHeaderKey: r(32), ownRatchetKeyPair: { secretKey: kp.secretKey, publicKey: r(32) }, associatedData: r(1) })), 'ERR_INVALID_ARGUMENT')
  t.equal(codeOf(() => initReceiver({ rootKey: r(32), sendHeaderKey: r(32), nextRecvHeaderKey: r(32), ownRatchetKeyPair: kp, associatedData: new Uint8Array(70000) })), 'ERR_INVALID_ARGUMENT')
})

t.test('init copies its inputs: wiping the caller buffers does not affect the state', async t => {
  const r = seededRng('copies')
  const sk = r(32); const hka = r(32); const nhkb = r(32); const ad = r(16); const kp = x25519KeyPair(r)
  const bob = initReceiver({ rootKey: sk, sendHeaderKey: hka, nextRecvHeaderKey: nhkb, ownRatchetKeyPair: kp, associatedData: ad })
  const alice = initSender({ rootKey: sk, sendHeaderKey: hka, nextRecvHeaderKey: nhkb, remoteRatchetKey: kp.publicKey, associatedData: ad, rng: r })
  const before = toHex(serializeState(bob))
  for (const b of [sk, hka, nhkb, ad, kp.secretKey]) b.fill(0)
  t.equal(toHex(serializeState(bob)), before)
  const e = ratchetEncrypt(alice, utf8('still works'), r)
  t.equal(Buffer.from(ratchetDecrypt(bob, e.message).plaintext).toString(), 'still works')
})

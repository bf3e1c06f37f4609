/**
 * skipSending (PROTOCOL.md §6.9): a sender that lost the state of a message it may have sent (a power cut after the
 * frame left, before its fsync) skips the keys it may have used, so no message key is used twice, and the receiver
 * reads on whether or not the lost message reached it.
 */
import t from 'tap'
import { equal, utf8 } from '../protocol/crypto/index.js'
import { ratchetDecrypt, ratchetEncrypt, skipSending, MAX_SKIP, type RatchetState } from '../protocol/ratchet/index.js'
import { codeOf, newPair, snap } from './ratchet-helpers.js'

t.test('without a skip, a rolled-back sender reuses the lost message\'s key: the receiver takes it for a duplicate', async t => {
  let { alice, bob, rng } = newPair('skip-1')
  const first = ratchetEncrypt(alice, utf8('m0'), rng)
  alice = first.state
  bob = ratchetDecrypt(bob, first.message).state
  const durable = alice // what a power cut leaves: the state before m1
  const lost = ratchetEncrypt(durable, utf8('m1 (its state lost)'), rng)
  bob = ratchetDecrypt(bob, lost.message).state
  const again = ratchetEncrypt(durable, utf8('m1 again'), rng)
  t.equal(codeOf(() => ratchetDecrypt(bob, again.message)), 'ERR_DUPLICATE_MESSAGE', 'same N on the same chain: the text would be lost')
})

t.test('after skipping the possibly used key, the next message decrypts whether or not the lost one arrived', async t => {
  for (const arrived of [true, false]) {
    let { alice, bob, rng } = newPair(`skip-2-${String(arrived)}`)
    const first = ratchetEncrypt(alice, utf8('m0'), rng)
    alice = first.state
    bob = ratchetDecrypt(bob, first.message).state
    const durable = alice
    const lost = ratchetEncrypt(durable, utf8('lost'), rng)
    if (arrived) bob = ratchetDecrypt(bob, lost.message).state
    const skipped = skipSending(durable, 1)
    t.equal(skipped.sendCount, durable.sendCount + 1)
    const next = ratchetEncrypt(skipped, utf8('after the restart'), rng)
    const d = ratchetDecrypt(bob, next.message)
    t.equal(Buffer.from(d.plaintext).toString(), 'after the restart', `decrypts (lost message ${arrived ? 'arrived' : 'never arrived'})`)
    bob = d.state
    if (!arrived) {
      // the lost message still opens if it turns up late: its key is kept as a skipped one
      t.equal(Buffer.from(ratchetDecrypt(bob, lost.message).plaintext).toString(), 'lost')
    }
    // and the conversation goes on both ways
    const reply = ratchetEncrypt(bob, utf8('reply'), rng)
    t.equal(Buffer.from(ratchetDecrypt(next.state, reply.message).plaintext).toString(), 'reply')
  }
})

t.test('the key after a skip is not the skipped one: the same text gives another ciphertext under another N', async t => {
  const { alice, rng } = newPair('skip-3')
  const a = ratchetEncrypt(alice, utf8('same'), rng)
  const b = ratchetEncrypt(skipSending(alice, 1), utf8('same'), rng)
  t.notOk(equal(a.message.body, b.message.body))
  t.equal(skipSending(alice, 1).sendCount, 1)
})

t.test('no-ops, bounds and immutability', async t => {
  let { alice, bob, rng } = newPair('skip-4')
  const before = snap(alice)
  t.equal(skipSending(alice, 0), alice, 'n = 0: the same state')
  const s3 = skipSending(alice, 3)
  t.equal(snap(alice), before, 'the input state is not changed')
  t.equal(s3.sendCount, 3)
  t.equal(codeOf(() => skipSending(alice, -1)), 'ERR_INVALID_ARGUMENT')
  t.equal(codeOf(() => skipSending(alice, 1.5)), 'ERR_INVALID_ARGUMENT')
  t.equal(codeOf(() => skipSending(alice, MAX_SKIP + 1)), 'ERR_INVALID_ARGUMENT', 'never more than a receiver accepts')
  t.equal(skipSending(alice, MAX_SKIP).sendCount, MAX_SKIP)
  // a pending DH step (no sending chain): nothing to skip, the next message starts a fresh chain
  const m = ratchetEncrypt(alice, utf8('x'), rng)
  alice = m.state
  bob = ratchetDecrypt(bob, m.message).state
  const r = ratchetEncrypt(bob, utf8('y'), rng)
  const pending: RatchetState = ratchetDecrypt(alice, r.message).state
  t.equal(pending.sendChainKey, null)
  t.equal(skipSending(pending, 2), pending)
})

t.test('peerOnCurrent (a speed hint): set by a message on the current chain after we sent, dropped at our next chain, never stored', async t => {
  let { alice, bob, rng } = newPair('hint-1')
  const m0 = ratchetEncrypt(alice, utf8('a0'), rng); alice = m0.state
  bob = ratchetDecrypt(bob, m0.message).state
  const r = ratchetEncrypt(bob, utf8('receipt'), rng); bob = r.state // Bob starts a chain Alice has not seen
  t.equal(bob.peerOnCurrent, undefined)
  const m1 = ratchetEncrypt(alice, utf8('a1'), rng); alice = m1.state // still on her old chain
  const d1 = ratchetDecrypt(bob, m1.message); bob = d1.state
  t.equal(Buffer.from(d1.plaintext).toString(), 'a1')
  t.equal(bob.peerOnCurrent, true, 'set: the peer had not seen our chain')
  t.equal(snap({ ...bob, peerOnCurrent: undefined } as RatchetState), snap(bob), 'not part of the stored state')
  // Alice now reads the receipt and answers on a new chain: it still opens (NHKr tried after HKr)
  alice = ratchetDecrypt(alice, r.message).state
  const m2 = ratchetEncrypt(alice, utf8('a2'), rng); alice = m2.state
  const d2 = ratchetDecrypt(bob, m2.message); bob = d2.state
  t.equal(Buffer.from(d2.plaintext).toString(), 'a2')
  const r2 = ratchetEncrypt(bob, utf8('receipt 2'), rng); bob = r2.state
  t.equal(bob.peerOnCurrent, undefined, 'dropped when we start a new sending chain')
  t.equal(Buffer.from(ratchetDecrypt(alice, r2.message).plaintext).toString(), 'receipt 2')
})

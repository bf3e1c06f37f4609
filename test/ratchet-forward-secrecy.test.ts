/**
 * Forward secrecy and post-compromise security of the ratchet (PROTOCOL.md §6.9).
 * FS: after a message is decrypted, no 32-byte window of either side's serialised state opens its body, whether
 * used as a raw AES key (with the true nonce), as a message-key seed, or as a chain key one step before it.
 * PCS: an attacker holding a copy of Alice's earlier state (who can even follow Bob's reply with it) cannot open
 * Alice's message after one full round trip; with the true DH output the same derivation does open it.
 */
import t from 'tap'
import { aeadOpen, concat, utf8, x25519 } from '../protocol/crypto/index.js'
import {
  kdfChain, kdfRoot, messageKeys, ratchetDecrypt, ratchetEncrypt, serializeState, decodeHeader,
  type RatchetMessage, type RatchetState
} from '../protocol/ratchet/index.js'
import { openHeader } from '../protocol/ratchet/header.js'
import { newPair } from './ratchet-helpers.js'

function opens (key: Uint8Array, nonce: Uint8Array, m: RatchetMessage, ad: Uint8Array): boolean {
  try { aeadOpen(key, nonce, m.body, concat(ad, m.header)); return true } catch { return false }
}

/** Tries every 32-byte window of `states` as raw key, seed and chain key against `m`; returns how many opened it. */
function windowsThatOpen (states: RatchetState[], m: RatchetMessage, ad: Uint8Array, trueNonce: Uint8Array): number {
  let n = 0
  for (const s of states) {
    const bytes = serializeState(s)
    for (let o = 0; o + 32 <= bytes.length; o++) {
      const w = bytes.subarray(o, o + 32)
      if (opens(w, trueNonce, m, ad)) n++
      const mk = messageKeys(w)
      if (opens(mk.key, mk.nonce, m, ad)) n++
      const ck = messageKeys(kdfChain(w).messageKey)
      if (opens(ck.key, ck.nonce, m, ad)) n++
    }
  }
  return n
}

t.test('forward secrecy: no window of either serialised state opens a decrypted message', async t => {
  let { alice, bob, rng, ad } = newPair('forward-secrecy')
  let tried = 0
  const sendA = (text: string): RatchetMessage => { const e = ratchetEncrypt(alice, utf8(text), rng); alice = e.state; return e.message }
  // the true nonce for a message: derived from the chain key the receiver holds before decrypting it in order
  const check = (label: string, receiverBefore: RatchetState, m: RatchetMessage, seed: Uint8Array | undefined): void => {
    const r = ratchetDecrypt(receiverBefore, m)
    bob = r.state
    const mk = seed !== undefined ? messageKeys(seed) : undefined
    if (mk !== undefined) t.ok(opens(mk.key, mk.nonce, m, ad), `${label}: positive control, the true message key opens it`)
    const nonce = mk?.nonce ?? new Uint8Array(12)
    t.equal(windowsThatOpen([bob, alice], m, ad, nonce), 0, `${label}: no state window opens it`)
    tried++
  }
  const m0 = sendA('m0'); const m1 = sendA('m1'); const m2 = sendA('m2')
  // m0 (new chain): the seed is recomputed the way the receiver does
  const h0 = decodeHeader(openHeader(bob.nextRecvHeaderKey, m0.header, ad) as Uint8Array)
  const root = kdfRoot(bob.rootKey, x25519(bob.dhSelf.secretKey, h0.dh))
  check('m0', bob, m0, kdfChain(root.chainKey).messageKey)
  check('m2 (skips m1)', bob, m2, kdfChain(kdfChain(bob.recvChainKey as Uint8Array).chainKey).messageKey)
  const seed1 = bob.recvChains[bob.recvChains.length - 1].skipped.get(1)
  t.ok(seed1, 'm1 key is held while m1 is missing')
  check('m1 (skipped key, then erased)', bob, m1, seed1?.slice())
  t.equal(bob.recvChains[bob.recvChains.length - 1].skipped.size, 0, 'the used skipped key left the state')
  const e = ratchetEncrypt(bob, utf8('b0'), rng); bob = e.state
  alice = ratchetDecrypt(alice, e.message).state
  const m3 = sendA('m3')
  check('m3 (after a DH step)', bob, m3, undefined)
  t.equal(tried, 4)
})

t.test('post-compromise: an old copy of Alice\'s state cannot read her messages after a round trip', async t => {
  let { alice, bob, rng, ad } = newPair('post-compromise')
  let e = ratchetEncrypt(alice, utf8('a0'), rng); alice = e.state
  bob = ratchetDecrypt(bob, e.message).state
  const stolen = alice // the attacker's copy, taken before the round trip
  e = ratchetEncrypt(bob, utf8('b0'), rng); bob = e.state
  const reply = e.message
  alice = ratchetDecrypt(alice, reply).state
  // the attacker follows Bob's reply with the stolen state: this much it can read
  const follow = ratchetDecrypt(stolen, reply)
  t.equal(Buffer.from(follow.plaintext).toString(), 'b0', 'the stolen state still reads Bob\'s reply (expected)')
  const attacker = follow.state
  e = ratchetEncrypt(alice, utf8('after healing'), rng); alice = e.state
  const m = e.message
  t.equal(Buffer.from(ratchetDecrypt(bob, m).plaintext).toString(), 'after healing')
  let threw = 0
  for (const s of [stolen, attacker]) {
    try { ratchetDecrypt(s, m) } catch { threw++ }
  }
  t.equal(threw, 2, 'neither the stolen nor the followed state decrypts it')
  // the attacker's best derivation: Alice's new sending chain from the followed root key and every DH it can form
  const newPub = alice.dhSelf.publicKey
  const candidates = [x25519(stolen.dhSelf.secretKey, bob.dhSelf.publicKey), x25519(stolen.dhSelf.secretKey, newPub)]
  let opened = 0
  for (const dh of candidates) {
    const ck = kdfRoot(attacker.rootKey, dh).chainKey
    const mk = messageKeys(kdfChain(ck).messageKey)
    if (opens(mk.key, mk.nonce, m, ad)) opened++
  }
  t.equal(opened, 0, 'no DH the attacker can compute yields the message key')
  const trueDh = x25519(alice.dhSelf.secretKey, bob.dhSelf.publicKey)
  const mk = messageKeys(kdfChain(kdfRoot(attacker.rootKey, trueDh).chainKey).messageKey)
  t.ok(opens(mk.key, mk.nonce, m, ad), 'positive control: with Alice\'s new secret the same derivation opens it')
  t.equal(windowsThatOpen([stolen, attacker], m, ad, mk.nonce), 0, 'no window of the attacker\'s states opens it')
})

/**
 * Tampering (PROTOCOL.md §6.7): every bit of the encrypted header, the body and the associated data is flipped in
 * turn, for a message that starts a new chain, one in the current chain and one opened with a skipped key. Each
 * flip is a typed error (ERR_UNKNOWN_HEADER_KEY for header/AD, ERR_AUTHENTICATION for the body) and leaves the
 * state unchanged; the untouched message still decrypts afterwards.
 */
import t, { type Test } from 'tap'
import { utf8 } from '../protocol/crypto/index.js'
import { initReceiver, ratchetDecrypt, ratchetEncrypt, type RatchetMessage, type RatchetState } from '../protocol/ratchet/index.js'
import { codeOf, newPair, snap } from './ratchet-helpers.js'

function flip (b: Uint8Array, bit: number): Uint8Array {
  const c = b.slice(); c[bit >> 3] ^= 1 << (bit & 7); return c
}

function checkAllFlips (t: Test, label: string, bob: RatchetState, m: RatchetMessage): void {
  const before = snap(bob)
  const codes = new Map<string, number>()
  const count = (c: string): void => { codes.set(c, (codes.get(c) ?? 0) + 1) }
  for (let bit = 0; bit < m.header.length * 8; bit++) count('header ' + codeOf(() => ratchetDecrypt(bob, { header: flip(m.header, bit), body: m.body })))
  for (let bit = 0; bit < m.body.length * 8; bit++) count('body ' + codeOf(() => ratchetDecrypt(bob, { header: m.header, body: flip(m.body, bit) })))
  count('body truncated ' + codeOf(() => ratchetDecrypt(bob, { header: m.header, body: m.body.subarray(0, m.body.length - 1) })))
  count('body extended ' + codeOf(() => ratchetDecrypt(bob, { header: m.header, body: Uint8Array.of(...m.body, 0) })))
  t.same(Object.fromEntries(codes), {
    'header ERR_UNKNOWN_HEADER_KEY': m.header.length * 8,
    'body ERR_AUTHENTICATION': m.body.length * 8,
    'body truncated ERR_AUTHENTICATION': 1,
    'body extended ERR_AUTHENTICATION': 1
  }, `${label}: every header and body bit flip is typed`)
  t.equal(snap(bob), before, `${label}: state unchanged`)
  t.equal(Buffer.from(ratchetDecrypt(bob, m).plaintext).toString(), 'secret message', `${label}: the genuine message still decrypts`)
}

t.test('bit flips in header and body', async t => {
  let { alice, bob, rng } = newPair('tamper')
  const send = (): RatchetMessage => { const e = ratchetEncrypt(alice, utf8('secret message'), rng); alice = e.state; return e.message }
  const m0 = send(); const m1 = send(); const m2 = send()
  checkAllFlips(t, 'new chain (DH step)', bob, m0)
  bob = ratchetDecrypt(bob, m0).state
  checkAllFlips(t, 'current chain, one skipped', bob, m2)
  bob = ratchetDecrypt(bob, m2).state
  checkAllFlips(t, 'skipped key', bob, m1)
  // and an older chain's skipped key, after a round trip
  const m3 = send(); const m4 = send()
  bob = ratchetDecrypt(bob, m4).state
  const e = ratchetEncrypt(bob, utf8('ack'), rng); bob = e.state
  alice = ratchetDecrypt(alice, e.message).state
  bob = ratchetDecrypt(bob, send()).state
  checkAllFlips(t, 'older chain skipped key', bob, m3)
})

t.test('bit flips in the associated data', async t => {
  const { alice, rng, ad } = newPair('tamper-ad')
  // rebuild Bob's init from the same seed with a flipped AD
  const { seededRng, x25519KeyPair } = await import('../protocol/crypto/index.js')
  const r = seededRng('tamper-ad')
  const rootKey = r(32); const hka = r(32); const nhkb = r(32); r(ad.length); const kp = x25519KeyPair(r)
  const e = ratchetEncrypt(alice, utf8('secret message'), rng)
  let unknown = 0
  for (let bit = 0; bit < ad.length * 8; bit++) {
    const bob = initReceiver({ rootKey, sendHeaderKey: hka, nextRecvHeaderKey: nhkb, ownRatchetKeyPair: kp, associatedData: flip(ad, bit) })
    if (codeOf(() => ratchetDecrypt(bob, e.message)) === 'ERR_UNKNOWN_HEADER_KEY') unknown++
  }
  t.equal(unknown, ad.length * 8, `${ad.length * 8} AD bit flips: header authentication fails`)
  const good = initReceiver({ rootKey, sendHeaderKey: hka, nextRecvHeaderKey: nhkb, ownRatchetKeyPair: kp, associatedData: ad })
  t.equal(Buffer.from(ratchetDecrypt(good, e.message).plaintext).toString(), 'secret message')
  // a body sealed under another AD with a valid header: the body AEAD binds AD too
  const shorter = initReceiver({ rootKey, sendHeaderKey: hka, nextRecvHeaderKey: nhkb, ownRatchetKeyPair: kp, associatedData: ad.subarray(1) })
  t.equal(codeOf(() => ratchetDecrypt(shorter, e.message)), 'ERR_UNKNOWN_HEADER_KEY')
})

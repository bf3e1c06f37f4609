/**
 * Header encryption is real (PROTOCOL.md §6.4): over a long conversation (bursts both ways, a 300-message one-way
 * run, DH steps), no ratchet public key, no 40-byte plaintext header, no 8-byte PN||N window (big- or little-endian)
 * and no 4-byte encoding of any counter of 256 or more appears anywhere in any message's header || body.
 */
import t from 'tap'
import { toHex, utf8 } from '../protocol/crypto/index.js'
import { encodeHeader, ratchetEncrypt, ratchetDecrypt, type RatchetState } from '../protocol/ratchet/index.js'
import { contains, newPair } from './ratchet-helpers.js'

const le32 = (n: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n, true); return b }
const be32 = (n: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n, false); return b }

t.test('no header field appears in the wire bytes', async t => {
  let { alice, bob, rng } = newPair('header-privacy')
  const wire: Uint8Array[] = []
  const keys = new Map<string, Uint8Array>()
  const headers: Uint8Array[] = []
  const windows: Uint8Array[] = []
  const counters = new Set<number>()
  const send = (from: 0 | 1, text: string): void => {
    const s: RatchetState = from === 0 ? alice : bob
    const e = ratchetEncrypt(s, utf8(text), rng)
    const pub = e.state.dhSelf.publicKey
    keys.set(toHex(pub), pub)
    headers.push(encodeHeader(pub, s.prevSendCount, s.sendCount))
    const pn = s.prevSendCount; const n = s.sendCount
    counters.add(pn); counters.add(n)
    windows.push(Uint8Array.of(...be32(pn), ...be32(n)), Uint8Array.of(...le32(pn), ...le32(n)))
    const bytes = new Uint8Array(e.message.header.length + e.message.body.length)
    bytes.set(e.message.header); bytes.set(e.message.body, e.message.header.length)
    wire.push(bytes)
    if (from === 0) { alice = e.state; bob = ratchetDecrypt(bob, e.message).state } else { bob = e.state; alice = ratchetDecrypt(alice, e.message).state }
  }
  for (let i = 0; i < 300; i++) send(0, `one-way ${i}`)
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i <= round % 5; i++) send(1, `b ${round}.${i}`)
    for (let i = 0; i <= round % 3; i++) send(0, `a ${round}.${i}`)
  }
  keys.set(toHex(alice.dhRemote as Uint8Array), alice.dhRemote as Uint8Array)
  const big = [...counters].filter(n => n >= 256)
  t.ok(big.length > 0 && keys.size > 80, `${wire.length} messages, ${keys.size} ratchet keys, ${big.length} counters >= 256`)
  let hits = 0
  for (const w of wire) {
    for (const k of keys.values()) if (contains(w, k)) hits++
    for (const h of headers) if (contains(w, h)) hits++
    for (const win of windows) if (contains(w, win)) hits++
    for (const n of big) if (contains(w, be32(n)) || contains(w, le32(n))) hits++
  }
  t.equal(hits, 0, 'no key, header, PN||N window or large counter found in any message')
  // the check can see: the plaintext header under a known key would be found
  t.ok(contains(Uint8Array.of(1, ...headers[0], 2), headers[0]), 'the search finds what is there')
})

/**
 * Writes test/vectors/ratchet.json: a deterministic transcript (seededRng) of the Double Ratchet with header
 * encryption (PROTOCOL.md §6) with every intermediate value, for test/ratchet-vectors.test.ts to recompute with
 * @noble alone. Run: node --import=tsx scripts/gen-vectors-ratchet.ts
 */
import { writeFileSync } from 'node:fs'
import { equal, seededRng, toHex, utf8, x25519, x25519KeyPair } from '../protocol/crypto/index.js'
import {
  decodeHeader, encodeHeader, initReceiver, initSender, kdfChain, kdfRoot, messageKeys, ratchetDecrypt,
  ratchetEncrypt, MESSAGE_KEYS_INFO, ROOT_INFO, type RatchetMessage, type RatchetState
} from '../protocol/ratchet/index.js'
import { openHeader } from '../protocol/ratchet/header.js'

export const RNG_SEED = 'tern-ratchet-vectors-v1'
/** The transcript: who sends which message, who receives it (out of order, with skips, a PN skip and old-chain keys). */
export const SCRIPT: Array<['send', 0 | 1, string] | ['recv', 0 | 1, string]> = [
  ['send', 0, 'a0'], ['send', 0, 'a1'], ['send', 0, 'a2'], ['send', 0, 'a3'],
  ['recv', 1, 'a0'], ['recv', 1, 'a2'],
  ['send', 1, 'b0'], ['send', 1, 'b1'],
  ['recv', 0, 'b1'], ['recv', 0, 'b0'],
  ['send', 0, 'a4'],
  ['recv', 1, 'a4'], ['recv', 1, 'a1'], ['recv', 1, 'a3'],
  ['send', 1, 'b2'], ['send', 0, 'a5'],
  ['recv', 0, 'b2'], ['recv', 1, 'a5']
]

const hex = toHex
function must (cond: boolean, what: string): void { if (!cond) throw new Error(`generator self-check failed: ${what}`) }

function main (): void {
  const rng = seededRng(RNG_SEED)
  const rootKey = rng(32); const hka = rng(32); const nhkb = rng(32); const ad = utf8('Tern/v1 test vector associated data')
  const bobKp = x25519KeyPair(rng)
  const states: RatchetState[] = []
  states[0] = initSender({ rootKey, sendHeaderKey: hka, nextRecvHeaderKey: nhkb, remoteRatchetKey: bobKp.publicKey, associatedData: ad, rng })
  states[1] = initReceiver({ rootKey, sendHeaderKey: hka, nextRecvHeaderKey: nhkb, ownRatchetKeyPair: bobKp, associatedData: ad })
  const a = states[0]
  const aliceDh = x25519(a.dhSelf.secretKey, bobKp.publicKey)
  const init = {
    rootKey: hex(rootKey), sharedHeaderKeyA: hex(hka), sharedNextHeaderKeyB: hex(nhkb), associatedData: hex(ad),
    bobRatchetSecret: hex(bobKp.secretKey), bobRatchetPublic: hex(bobKp.publicKey),
    alice: {
      ratchetSecret: hex(a.dhSelf.secretKey), ratchetPublic: hex(a.dhSelf.publicKey), dhOutput: hex(aliceDh),
      rootKey: hex(a.rootKey), sendChainKey: hex(a.sendChainKey as Uint8Array), nextSendHeaderKey: hex(a.nextSendHeaderKey)
    }
  }
  const messages = new Map<string, RatchetMessage>()
  const events: unknown[] = []
  for (const [kind, who, id] of SCRIPT) {
    const s = states[who]
    if (kind === 'send') {
      const plaintext = utf8(`message ${id}`)
      const e = ratchetEncrypt(s, plaintext, rng)
      const s2 = e.state
      let chainKey = s.sendChainKey
      let dhStep: Record<string, string> | undefined
      if (chainKey === null) {
        const dh = x25519(s2.dhSelf.secretKey, s.dhRemote as Uint8Array)
        const root = kdfRoot(s.rootKey, dh)
        must(equal(root.rootKey, s2.rootKey), 'send root key')
        chainKey = root.chainKey
        dhStep = {
          ratchetSecret: hex(s2.dhSelf.secretKey), ratchetPublic: hex(s2.dhSelf.publicKey), remotePublic: hex(s.dhRemote as Uint8Array),
          dhOutput: hex(dh), rootKeyBefore: hex(s.rootKey), rootKey: hex(root.rootKey), chainKey: hex(root.chainKey),
          nextHeaderKey: hex(root.nextHeaderKey)
        }
      }
      const step = kdfChain(chainKey)
      must(equal(step.chainKey, s2.sendChainKey as Uint8Array), 'send chain key')
      const mk = messageKeys(step.messageKey)
      const hp = encodeHeader(s2.dhSelf.publicKey, s.prevSendCount, s.sendCount)
      must(equal(openHeader(s.sendHeaderKey as Uint8Array, e.message.header, ad) as Uint8Array, hp), 'header plaintext')
      messages.set(id, e.message)
      events.push({
        event: 'send', from: who === 0 ? 'alice' : 'bob', id, plaintext: hex(plaintext), ...(dhStep !== undefined ? { dhStep } : {}),
        chainKey: hex(chainKey), messageKeySeed: hex(step.messageKey), nextChainKey: hex(step.chainKey),
        aesKey: hex(mk.key), aesNonce: hex(mk.nonce),
        header: { dh: hex(s2.dhSelf.publicKey), pn: s.prevSendCount, n: s.sendCount }, headerPlaintext: hex(hp),
        headerKey: hex(s.sendHeaderKey as Uint8Array), headerNonce: hex(e.message.header.subarray(0, 12)),
        encryptedHeader: hex(e.message.header), body: hex(e.message.body)
      })
      states[who] = s2
    } else {
      const m = messages.get(id) as RatchetMessage
      const d = ratchetDecrypt(s, m)
      const s2 = d.state
      const cur = s.recvChainKey !== null ? s.recvChains[s.recvChains.length - 1] : undefined
      let openedWith: string
      let headerKey: Uint8Array
      let plain: Uint8Array | null
      if (cur !== undefined && (plain = openHeader(cur.headerKey, m.header, ad)) !== null) { openedWith = 'HKr'; headerKey = cur.headerKey } else if ((plain = openHeader(s.nextRecvHeaderKey, m.header, ad)) !== null) { openedWith = 'NHKr'; headerKey = s.nextRecvHeaderKey } else {
        const older = s.recvChains.find(c => openHeader(c.headerKey, m.header, ad) !== null)
        must(older !== undefined, 'an older chain opens the header')
        openedWith = 'skipped'; headerKey = (older as { headerKey: Uint8Array }).headerKey
        plain = openHeader(headerKey, m.header, ad)
      }
      const h = decodeHeader(plain as Uint8Array)
      let dhStep: Record<string, string> | undefined
      let seed: Uint8Array
      if (openedWith === 'NHKr') {
        const dh = x25519(s.dhSelf.secretKey, h.dh)
        const root = kdfRoot(s.rootKey, dh)
        must(equal(root.rootKey, s2.rootKey), 'recv root key')
        dhStep = { dhOutput: hex(dh), rootKeyBefore: hex(s.rootKey), rootKey: hex(root.rootKey), chainKey: hex(root.chainKey), nextHeaderKey: hex(root.nextHeaderKey) }
        let ck = root.chainKey
        for (let i = 0; i < h.n; i++) ck = kdfChain(ck).chainKey
        seed = kdfChain(ck).messageKey
      } else if (openedWith === 'HKr' && h.n >= s.recvCount) {
        let ck = s.recvChainKey as Uint8Array
        for (let i = s.recvCount; i < h.n; i++) ck = kdfChain(ck).chainKey
        seed = kdfChain(ck).messageKey
      } else {
        const chain = s.recvChains.find(c => equal(c.headerKey, headerKey))
        seed = chain?.skipped.get(h.n) as Uint8Array
      }
      // the skipped keys this message added, per chain header key
      const stored: Array<{ headerKey: string, n: number, messageKeySeed: string }> = []
      for (const c of s2.recvChains) {
        const old = s.recvChains.find(o => equal(o.headerKey, c.headerKey))
        for (const [n, k] of c.skipped) if (old?.skipped.has(n) !== true) stored.push({ headerKey: hex(c.headerKey), n, messageKeySeed: hex(k) })
      }
      const mk = messageKeys(seed)
      events.push({
        event: 'recv', to: who === 0 ? 'alice' : 'bob', id, openedWith, headerKey: hex(headerKey),
        header: { dh: hex(h.dh), pn: h.pn, n: h.n }, ...(dhStep !== undefined ? { dhStep } : {}), skippedStored: stored,
        messageKeySeed: hex(seed), aesKey: hex(mk.key), aesNonce: hex(mk.nonce), plaintext: hex(d.plaintext)
      })
      states[who] = s2
    }
  }
  const out = {
    origin: 'Generated by scripts/gen-vectors-ratchet.ts from Tern\'s implementation (protocol/ratchet) with seededRng; ' +
      'every value is recomputed independently with @noble in test/ratchet-vectors.test.ts. PROTOCOL.md §6.',
    rngSeed: RNG_SEED,
    constants: { rootInfo: ROOT_INFO, messageKeysInfo: MESSAGE_KEYS_INFO, rootKdfBytes: 96, messageKeysBytes: 44, messageKeysSalt: hex(new Uint8Array(32)) },
    rngOrder: 'rootKey(32), sharedHeaderKeyA(32), sharedNextHeaderKeyB(32), bobRatchetSecret(32), alice ratchetSecret(32); then per send: ratchetSecret(32) when a DH step is pending, headerNonce(12)',
    init,
    events
  }
  writeFileSync(new URL('../test/vectors/ratchet.json', import.meta.url), JSON.stringify(out, null, 1) + '\n')
  console.log(`test/vectors/ratchet.json: ${events.length} events`)
}

main()

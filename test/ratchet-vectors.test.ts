/**
 * Tern's Double Ratchet vectors (test/vectors/ratchet.json, from scripts/gen-vectors-ratchet.ts): a small reference
 * Double Ratchet with header encryption written here on @noble alone (x25519, HKDF/HMAC-SHA256, AES-256-GCM),
 * driven through the recorded transcript with the recorded random values, recomputes EVERY recorded value. Only the
 * last subtest imports protocol/ratchet, to check that the implementation produces the same bytes.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { gcm } from '@noble/ciphers/aes.js'

/* eslint-disable @typescript-eslint/no-explicit-any */
const V: any = JSON.parse(readFileSync(new URL('./vectors/ratchet.json', import.meta.url), 'utf8'))

const hx = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const bx = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
const cat = (...p: Uint8Array[]): Uint8Array => { const o = new Uint8Array(p.reduce((n, x) => n + x.length, 0)); let i = 0; for (const x of p) { o.set(x, i); i += x.length } return o }
const te = new TextEncoder()
const ROOT_INFO = te.encode('Tern/v1/Ratchet/Root')
const MK_INFO = te.encode('Tern/v1/Ratchet/MessageKeys')
const kdfRk = (rk: Uint8Array, dh: Uint8Array): Uint8Array[] => { const o = hkdf(sha256, dh, rk, ROOT_INFO, 96); return [o.subarray(0, 32), o.subarray(32, 64), o.subarray(64)] }
const kdfCk = (ck: Uint8Array): Uint8Array[] => [hmac(sha256, ck, Uint8Array.of(1)), hmac(sha256, ck, Uint8Array.of(2))]
const mkeys = (seed: Uint8Array): Uint8Array[] => { const o = hkdf(sha256, seed, new Uint8Array(32), MK_INFO, 44); return [o.subarray(0, 32), o.subarray(32)] }
const u32 = (n: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n); return b }

interface Party {
  dhs: Uint8Array, dhsPub: Uint8Array, dhr: Uint8Array | null, rk: Uint8Array, cks: Uint8Array | null, ckr: Uint8Array | null,
  hks: Uint8Array | null, hkr: Uint8Array | null, nhks: Uint8Array, nhkr: Uint8Array, ns: number, nr: number, pn: number,
  skipped: Map<string, Uint8Array> // hex(hk) + ':' + n → message-key seed
}

function tryHeader (hk: Uint8Array | null, enc: Uint8Array, ad: Uint8Array): Uint8Array | null {
  if (hk === null) return null
  try { return gcm(hk, enc.subarray(0, 12), ad).decrypt(enc.subarray(12)) } catch { return null }
}

t.test('every value of the transcript, recomputed with @noble', async t => {
  t.match(V.origin, /gen-vectors-ratchet/)
  t.equal(V.constants.rootInfo, 'Tern/v1/Ratchet/Root'); t.equal(V.constants.messageKeysInfo, 'Tern/v1/Ratchet/MessageKeys')
  const I = V.init
  const ad = bx(I.associatedData)
  t.equal(hx(x25519.getPublicKey(bx(I.bobRatchetSecret))), I.bobRatchetPublic, 'bob ratchet public')
  // RatchetInitAliceHE
  const aSecret = bx(I.alice.ratchetSecret)
  t.equal(hx(x25519.getPublicKey(aSecret)), I.alice.ratchetPublic, 'alice ratchet public')
  const aDh = x25519.getSharedSecret(aSecret, bx(I.bobRatchetPublic))
  t.equal(hx(aDh), I.alice.dhOutput, 'alice init DH')
  const [rk0, ck0, nhk0] = kdfRk(bx(I.rootKey), aDh)
  t.equal(hx(rk0), I.alice.rootKey); t.equal(hx(ck0), I.alice.sendChainKey); t.equal(hx(nhk0), I.alice.nextSendHeaderKey)
  const P: Party[] = [
    { dhs: aSecret, dhsPub: x25519.getPublicKey(aSecret), dhr: bx(I.bobRatchetPublic), rk: rk0, cks: ck0, ckr: null, hks: bx(I.sharedHeaderKeyA), hkr: null, nhks: nhk0, nhkr: bx(I.sharedNextHeaderKeyB), ns: 0, nr: 0, pn: 0, skipped: new Map() },
    { dhs: bx(I.bobRatchetSecret), dhsPub: bx(I.bobRatchetPublic), dhr: null, rk: bx(I.rootKey), cks: null, ckr: null, hks: null, hkr: null, nhks: bx(I.sharedNextHeaderKeyB), nhkr: bx(I.sharedHeaderKeyA), ns: 0, nr: 0, pn: 0, skipped: new Map() }
  ]
  const wire = new Map<string, { header: Uint8Array, body: Uint8Array }>()
  let checked = 0
  const eq = (got: Uint8Array | number, want: string | number, what: string): void => {
    checked++
    if (typeof got === 'number') t.equal(got, want, what); else t.equal(hx(got), want, what)
  }
  for (const ev of V.events) {
    if (ev.event === 'send') {
      const p = P[ev.from === 'alice' ? 0 : 1]
      const tag = `${ev.id}`
      if (p.cks === null) { // the pending sending half of the DH ratchet step
        t.ok(ev.dhStep, `${tag}: a DH step is recorded`)
        p.dhs = bx(ev.dhStep.ratchetSecret); p.dhsPub = x25519.getPublicKey(p.dhs)
        eq(p.dhsPub, ev.dhStep.ratchetPublic, `${tag} ratchet public`)
        eq(p.dhr as Uint8Array, ev.dhStep.remotePublic, `${tag} remote public`)
        eq(p.rk, ev.dhStep.rootKeyBefore, `${tag} root key before`)
        const dh = x25519.getSharedSecret(p.dhs, p.dhr as Uint8Array)
        eq(dh, ev.dhStep.dhOutput, `${tag} dh`)
        const [rk, ck, nhk] = kdfRk(p.rk, dh)
        eq(rk, ev.dhStep.rootKey, `${tag} root key`); eq(ck, ev.dhStep.chainKey, `${tag} chain key`); eq(nhk, ev.dhStep.nextHeaderKey, `${tag} next header key`)
        p.rk = rk; p.cks = ck; p.nhks = nhk
      } else t.notOk(ev.dhStep, `${tag}: no DH step`)
      eq(p.cks, ev.chainKey, `${tag} chain key`)
      const [seed, next] = kdfCk(p.cks)
      eq(seed, ev.messageKeySeed, `${tag} message key seed`); eq(next, ev.nextChainKey, `${tag} next chain key`)
      const [key, nonce] = mkeys(seed)
      eq(key, ev.aesKey, `${tag} aes key`); eq(nonce, ev.aesNonce, `${tag} aes nonce`)
      const hp = cat(p.dhsPub, u32(p.pn), u32(p.ns))
      eq(hp, ev.headerPlaintext, `${tag} header plaintext`)
      eq(ev.header.pn, p.pn, `${tag} PN`); eq(ev.header.n, p.ns, `${tag} N`); eq(p.dhsPub, ev.header.dh, `${tag} header dh`)
      eq(p.hks as Uint8Array, ev.headerKey, `${tag} header key`)
      const hn = bx(ev.headerNonce)
      const enc = cat(hn, gcm(p.hks as Uint8Array, hn, ad).encrypt(hp))
      eq(enc, ev.encryptedHeader, `${tag} encrypted header`)
      const pt = bx(ev.plaintext)
      const body = gcm(key, nonce, cat(ad, enc)).encrypt(pt)
      eq(body, ev.body, `${tag} body`)
      p.cks = next; p.ns++
      wire.set(ev.id, { header: enc, body })
    } else {
      const p = P[ev.to === 'alice' ? 0 : 1]
      const tag = `${ev.id}@${ev.to}`
      const m = wire.get(ev.id) as { header: Uint8Array, body: Uint8Array }
      let seed: Uint8Array | undefined
      let opened = ''
      const before = new Set(p.skipped.keys())
      // TrySkippedMessageKeysHE
      for (const [k, s] of p.skipped) {
        const [hkHex, nStr] = k.split(':')
        const hp = tryHeader(bx(hkHex), m.header, ad)
        if (hp !== null && new DataView(hp.buffer, hp.byteOffset).getUint32(36) === Number(nStr)) {
          seed = s; p.skipped.delete(k); opened = hkHex === (p.hkr !== null ? hx(p.hkr) : '') ? 'HKr' : 'skipped'
          eq(bx(hkHex), ev.headerKey, `${tag} header key`)
          break
        }
      }
      const skip = (until: number): void => {
        while (p.ckr !== null && p.nr < until) {
          const [s, next] = kdfCk(p.ckr)
          p.skipped.set(`${hx(p.hkr as Uint8Array)}:${p.nr}`, s); p.ckr = next; p.nr++
        }
      }
      if (seed === undefined) { // DecryptHeader
        let hp = tryHeader(p.hkr, m.header, ad)
        opened = 'HKr'
        if (hp === null) { hp = tryHeader(p.nhkr, m.header, ad); opened = 'NHKr' }
        t.ok(hp, `${tag}: a header key opens the header`)
        const h = hp as Uint8Array
        const dhr = h.subarray(0, 32); const pn = new DataView(h.buffer, h.byteOffset).getUint32(32); const n = new DataView(h.buffer, h.byteOffset).getUint32(36)
        eq(dhr, ev.header.dh, `${tag} header dh`); eq(pn, ev.header.pn, `${tag} PN`); eq(n, ev.header.n, `${tag} N`)
        eq(opened === 'HKr' ? p.hkr as Uint8Array : p.nhkr, ev.headerKey, `${tag} header key`)
        if (opened === 'NHKr') { // DHRatchetHE, receiving half (the sending half waits for the next send: PROTOCOL.md §6.5)
          skip(pn)
          p.pn = p.ns; p.ns = 0; p.nr = 0; p.hks = p.nhks; p.hkr = p.nhkr; p.dhr = dhr.slice()
          eq(p.rk, ev.dhStep.rootKeyBefore, `${tag} root key before`)
          const dh = x25519.getSharedSecret(p.dhs, p.dhr)
          eq(dh, ev.dhStep.dhOutput, `${tag} dh`)
          const [rk, ck, nhk] = kdfRk(p.rk, dh)
          eq(rk, ev.dhStep.rootKey, `${tag} root key`); eq(ck, ev.dhStep.chainKey, `${tag} chain key`); eq(nhk, ev.dhStep.nextHeaderKey, `${tag} next header key`)
          p.rk = rk; p.ckr = ck; p.nhkr = nhk; p.cks = null
        } else t.notOk(ev.dhStep, `${tag}: no DH step`)
        skip(n)
        const [s, next] = kdfCk(p.ckr as Uint8Array)
        seed = s; p.ckr = next; p.nr++
      }
      t.equal(opened, ev.openedWith, `${tag} opened with ${ev.openedWith}`)
      const stored = [...p.skipped.entries()].filter(([k]) => !before.has(k)).map(([k, s]) => ({ headerKey: k.split(':')[0], n: Number(k.split(':')[1]), messageKeySeed: hx(s) }))
      t.same(stored, ev.skippedStored, `${tag} skipped keys stored`)
      checked += stored.length
      eq(seed, ev.messageKeySeed, `${tag} message key seed`)
      const [key, nonce] = mkeys(seed)
      eq(key, ev.aesKey, `${tag} aes key`); eq(nonce, ev.aesNonce, `${tag} aes nonce`)
      eq(gcm(key, nonce, cat(ad, m.header)).decrypt(m.body), ev.plaintext, `${tag} plaintext`)
    }
  }
  t.ok(checked > 200, `${checked} recorded values recomputed`)
  const kinds = new Set(V.events.map((e: any) => e.openedWith).filter(Boolean))
  t.same([...kinds].sort(), ['HKr', 'NHKr', 'skipped'], 'the transcript covers current, next and older header keys')
  t.ok(V.events.some((e: any) => e.event === 'recv' && e.dhStep !== undefined && e.skippedStored.length > 0 && e.header.pn > 0), 'a PN skip')
})

t.test('the implementation reproduces the transcript bytes', async t => {
  const { seededRng, x25519KeyPair } = await import('../protocol/crypto/index.js')
  const R = await import('../protocol/ratchet/index.js')
  const rng = seededRng(V.rngSeed)
  const rootKey = rng(32); const hka = rng(32); const nhkb = rng(32); const ad = bx(V.init.associatedData)
  const bobKp = x25519KeyPair(rng)
  t.equal(hx(rootKey), V.init.rootKey); t.equal(hx(bobKp.secretKey), V.init.bobRatchetSecret)
  const st = [
    R.initSender({ rootKey, sendHeaderKey: hka, nextRecvHeaderKey: nhkb, remoteRatchetKey: bobKp.publicKey, associatedData: ad, rng }),
    R.initReceiver({ rootKey, sendHeaderKey: hka, nextRecvHeaderKey: nhkb, ownRatchetKeyPair: bobKp, associatedData: ad })
  ]
  const wire = new Map<string, { header: Uint8Array, body: Uint8Array }>()
  for (const ev of V.events) {
    if (ev.event === 'send') {
      const who = ev.from === 'alice' ? 0 : 1
      const e = R.ratchetEncrypt(R.deserializeState(R.serializeState(st[who])), bx(ev.plaintext), rng)
      st[who] = e.state
      t.equal(hx(e.message.header), ev.encryptedHeader, `${ev.id} header bytes`)
      t.equal(hx(e.message.body), ev.body, `${ev.id} body bytes`)
      wire.set(ev.id, e.message)
    } else {
      const who = ev.to === 'alice' ? 0 : 1
      const d = R.ratchetDecrypt(st[who], wire.get(ev.id) as { header: Uint8Array, body: Uint8Array })
      st[who] = d.state
      t.equal(hx(d.plaintext), ev.plaintext, `${ev.id} plaintext`)
    }
  }
})

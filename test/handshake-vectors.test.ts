/**
 * Recomputes every value of test/vectors/handshake.json with @noble primitives and hand-written layouts only:
 * NOTHING is imported from protocol/, so this is an independent implementation of PROTOCOL.md §2–§5.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { gcm } from '@noble/ciphers/aes.js'
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { base58btc } from 'multiformats/bases/base58'
import { multiaddr } from '@multiformats/multiaddr'

const V = JSON.parse(readFileSync(new URL('./vectors/handshake.json', import.meta.url), 'utf8'))
const h = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const u = (s: string): Uint8Array => new TextEncoder().encode(s)
const cat = (...p: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(p))
const be = (n: number, w: number): Uint8Array => { const b = Buffer.alloc(w); b.writeUIntBE(n, 0, w); return new Uint8Array(b) }
const be64 = (n: number): Uint8Array => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return new Uint8Array(b) }
const sign = (seed: string, m: Uint8Array): string => hex(ed25519.sign(m, h(seed)))
const seal = (key: Uint8Array, nonce: Uint8Array, pt: Uint8Array, ad: Uint8Array): Uint8Array => gcm(key, nonce, ad).encrypt(pt)

const A = V.alice; const B = V.bob; const I = V.invite; const R = V.request; const C = V.accept

t.test('§2 identities: public keys, PeerIds, binding signatures, fingerprint, safety number', async (t) => {
  for (const p of [A, B]) {
    t.equal(hex(ed25519.getPublicKey(h(p.edSeed))), p.edPub)
    t.equal(hex(x25519.getPublicKey(h(p.xSecret))), p.xPub)
    const pid = cat(Uint8Array.of(0x00, 0x24, 0x08, 0x01, 0x12, 0x20), h(p.edPub))
    t.equal(base58btc.encode(pid).slice(1), p.peerId)
    t.equal(sign(p.edSeed, cat(u('Tern/v1/IdentityKey'), h(p.edPub), h(p.xPub))), p.identitySignature)
  }
  t.equal(hex(cat(Uint8Array.of(0x00, 0x24, 0x08, 0x01, 0x12, 0x20), h(A.edPub))), A.peerIdBytes)
  t.equal(hex(sha256(cat(u('Tern/v1/Fingerprint'), h(A.edPub), h(A.xPub)))), A.fingerprint)
  const half = (p: typeof A): string => {
    const keys = cat(h(p.edPub), h(p.xPub))
    let x = cat(Uint8Array.of(0, 0), keys, Uint8Array.of(0x00, 0x24, 0x08, 0x01, 0x12, 0x20), h(p.edPub))
    for (let i = 0; i < 5200; i++) x = sha512(cat(x, keys))
    let s = ''
    for (let c = 0; c < 6; c++) s += String(Number(BigInt('0x' + hex(x.subarray(5 * c, 5 * c + 5))) % 100000n)).padStart(5, '0')
    return s
  }
  t.equal([half(A), half(B)].sort().join(''), V.safetyNumber)
})

t.test('§3 prekeys and the bundle layout', async (t) => {
  t.equal(hex(x25519.getPublicKey(h(B.spk.secret))), B.spk.pub)
  t.equal(sign(B.edSeed, cat(u('Tern/v1/SignedPreKey'), be(B.spk.id, 4), h(B.spk.pub))), B.spk.signature)
  t.equal(hex(ml_kem768.keygen(h(B.pqspk.keygenSeed)).publicKey), B.pqspk.pub)
  t.equal(sign(B.edSeed, cat(u('Tern/v1/SignedPqPreKey'), be(B.pqspk.id, 4), h(B.pqspk.pub))), B.pqspk.signature)
  const bundle = cat(Uint8Array.of(1), h(B.edPub), h(B.xPub), h(B.identitySignature), be64(B.bundleCreatedAt),
    be(B.spk.id, 4), h(B.spk.pub), h(B.spk.signature), be(B.pqspk.id, 4), h(B.pqspk.pub), h(B.pqspk.signature))
  t.equal(bundle.length, 1489)
  t.equal(hex(bundle), B.bundle)
})

t.test('§4 invite: layout, signature, URI, tag', async (t) => {
  t.equal(multiaddr(h(I.relayAddr)).toString(), `/ip4/203.0.113.7/tcp/4001/p2p/${base58btc.encode(cat(Uint8Array.of(0, 0x24, 8, 1, 0x12, 0x20), ed25519.getPublicKey(h(I.relayEdSeed)))).slice(1)}`)
  t.equal(hex(x25519.getPublicKey(h(I.inviteKeySecret))), I.inviteKeyPub)
  const relay = h(I.relayAddr)
  const signed = cat(Uint8Array.of(1), h(A.edPub), h(A.xPub), h(I.inviteKeyPub), h(I.secret), be(I.expiresAt, 4),
    Uint8Array.of(relay.length), relay, h(I.queueId), h(I.depositToken))
  t.equal(sign(A.edSeed, cat(u('Tern/v1/Invite'), signed)), I.signature)
  const bytes = cat(signed, h(I.signature))
  t.equal(hex(bytes), I.bytes)
  t.ok(bytes.length <= 512)
  t.equal(I.uri, 'tern:' + Buffer.from(bytes).toString('base64url'))
  t.equal(hex(hmac(sha256, h(I.secret), u('Tern/v1/InviteTag')).subarray(0, 16)), I.tag)
})

t.test('§5.2 contact request: DHs, keys, sealed static key, payload, signature, bytes', async (t) => {
  t.equal(hex(x25519.getPublicKey(h(R.ekBSecret))), R.ekBPub)
  const dhEkIk = x25519.getSharedSecret(h(R.ekBSecret), h(A.xPub))
  const dhEkInvite = x25519.getSharedSecret(h(R.ekBSecret), h(I.inviteKeyPub))
  const dhIkInvite = x25519.getSharedSecret(h(B.xSecret), h(I.inviteKeyPub))
  t.equal(hex(dhEkIk), R.dhEkIk); t.equal(hex(dhEkInvite), R.dhEkInvite); t.equal(hex(dhIkInvite), R.dhIkInvite)
  t.equal(hex(x25519.getSharedSecret(h(A.xSecret), h(R.ekBPub))), R.dhEkIk, "the inviter's side agrees")
  t.equal(hex(x25519.getSharedSecret(h(I.inviteKeySecret), h(B.xPub))), R.dhIkInvite)
  const sk = hkdf(sha256, cat(dhEkIk, dhEkInvite), h(I.secret), u('Tern/v1/ContactRequest/Static'), 44)
  t.equal(hex(sk.subarray(0, 32)), R.staticKey); t.equal(hex(sk.subarray(32)), R.staticNonce)
  const rk = hkdf(sha256, cat(dhEkIk, dhEkInvite, dhIkInvite), h(I.secret), u('Tern/v1/ContactRequest'), 44)
  t.equal(hex(rk.subarray(0, 32)), R.requestKey); t.equal(hex(rk.subarray(32)), R.requestNonce)
  const header = cat(Uint8Array.of(1), h(I.tag), h(R.ekBPub))
  const sealedStatic = seal(sk.subarray(0, 32), sk.subarray(32), h(B.xPub), header)
  t.equal(hex(sealedStatic), R.sealedStatic)
  const name = u(R.name); const info = h(R.contactInfo)
  const body = cat(h(B.bundle), be64(R.timestamp), Uint8Array.of(name.length), name, be(info.length, 2), info)
  const transcript = cat(u('Tern/v1/ContactRequestSig'), header, sealedStatic, h(A.edPub), h(A.xPub), h(I.inviteKeyPub), body)
  const sig = sign(B.edSeed, transcript)
  t.equal(sig, R.signature)
  const payload = cat(body, h(sig))
  t.equal(hex(payload), R.payload)
  const request = cat(header, sealedStatic, seal(rk.subarray(0, 32), rk.subarray(32), payload, cat(header, sealedStatic)))
  t.equal(hex(request), R.bytes)
  t.equal(hex(sha256(request)), R.hash)
})

t.test('§5.3 PQXDH: DH1-3, ML-KEM-768, session keys, AD; §5.4 accept layout', async (t) => {
  t.equal(hex(x25519.getPublicKey(h(C.ekASecret))), C.ekAPub)
  const dh1 = x25519.getSharedSecret(h(A.xSecret), h(B.spk.pub))
  const dh2 = x25519.getSharedSecret(h(C.ekASecret), h(B.xPub))
  const dh3 = x25519.getSharedSecret(h(C.ekASecret), h(B.spk.pub))
  t.equal(hex(dh1), C.dh1); t.equal(hex(dh2), C.dh2); t.equal(hex(dh3), C.dh3)
  t.equal(hex(x25519.getSharedSecret(h(B.spk.secret), h(A.xPub))), C.dh1, "the invitee's side agrees")
  const kem = ml_kem768.encapsulate(h(B.pqspk.pub), h(C.kemRandomness))
  t.equal(hex(kem.cipherText), C.kemCipherText)
  t.equal(hex(kem.sharedSecret), C.kemSharedSecret)
  t.equal(hex(ml_kem768.decapsulate(kem.cipherText, ml_kem768.keygen(h(B.pqspk.keygenSeed)).secretKey)), C.kemSharedSecret)
  const okm = hkdf(sha256, cat(new Uint8Array(32).fill(0xff), dh1, dh2, dh3, kem.sharedSecret), h(R.hash),
    u('Tern/v1/PQXDH/X25519/ML-KEM-768/SHA-256'), 96)
  t.equal(hex(okm.subarray(0, 32)), C.rootKey)
  t.equal(hex(okm.subarray(32, 64)), C.sendHeaderKey)
  t.equal(hex(okm.subarray(64)), C.nextRecvHeaderKey)
  t.equal(hex(cat(u('Tern/v1/AD'), h(A.edPub), h(A.xPub), h(B.edPub), h(B.xPub))), C.associatedData)
  const hdr = h(C.firstMessageHeader); const body = h(C.firstMessageBody)
  const accept = cat(Uint8Array.of(1), h(I.tag), h(C.ekAPub), be(B.spk.id, 4), be(B.pqspk.id, 4), kem.cipherText,
    be(hdr.length, 2), hdr, be(body.length, 2), body)
  t.equal(hex(accept), C.bytes)
  t.equal(hdr.length, 68, 'encrypted ratchet header (§6.4)')
  t.equal(body.length, h(C.firstPlaintext).length + 16)
})

t.test('§5.5 reject', async (t) => {
  const m = cat(u('Tern/v1/ContactReject'), h(I.tag), Uint8Array.of(V.reject.reason))
  t.equal(hex(cat(Uint8Array.of(1), h(I.tag), Uint8Array.of(V.reject.reason), h(sign(A.edSeed, m)))), V.reject.bytes)
})

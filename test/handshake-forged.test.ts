/**
 * ContactRequests built by hand from the layout of PROTOCOL.md §5.2 (with protocol/crypto primitives), to reach the
 * checks that only a request sealed with the right keys can reach: identity mismatch, payload encoding, limits and the
 * transcript signature. A hand-built honest request must open, which also checks the layout documentation.
 */
import t from 'tap'
import { aeadSeal, concat, ed25519Sign, seededRng, u32be, utf8, x25519, x25519KeyPair, type X25519KeyPair } from '../protocol/crypto/index.js'
import { TernError } from '../protocol/errors.js'
import { generateIdentity, type IdentityKeyPair } from '../protocol/identity/index.js'
import { createInvite } from '../protocol/invite/index.js'
import { createBundle, encodeBundle, generatePqPreKey, generateSignedPreKey } from '../protocol/prekeys/index.js'
import { deriveRequestKey, deriveStaticKey, openContactRequest } from '../protocol/handshake/index.js'

const NOW = 1_750_000_000_000
const rng = seededRng('forged')
const alice = generateIdentity(rng)
const bob = generateIdentity(rng)
const bobBundle = encodeBundle(createBundle({ identity: bob, signedPreKey: generateSignedPreKey(bob, 1, rng), pqPreKey: generatePqPreKey(bob, 2, rng), createdAt: NOW }))
const inv = createInvite({ identity: alice, relayAddr: Uint8Array.of(1), mailbox: { queueId: rng(16), depositToken: rng(32) }, expiresAt: NOW / 1000 + 3600, rng })
const u16 = (n: number): Uint8Array => u32be(n).subarray(2)
const u64 = (n: number): Uint8Array => concat(u32be(Math.floor(n / 2 ** 32)), u32be(n >>> 0))

interface Forge {
  staticKey?: X25519KeyPair // the X25519 pair whose public key is sealed (default Bob's identity key)
  bundle?: Uint8Array
  signer?: IdentityKeyPair
  name?: Uint8Array
  nameLen?: number
  info?: Uint8Array
  trailing?: Uint8Array
  signTranscript?: (t: Uint8Array) => Uint8Array
}

function forge (f: Forge = {}): Uint8Array {
  const stat = f.staticKey ?? bob.agreement
  const ek = x25519KeyPair(rng)
  const header = concat(Uint8Array.of(1), inv.record.tag, ek.publicKey)
  const d1 = x25519(ek.secretKey, alice.agreement.publicKey)
  const d2 = x25519(ek.secretKey, inv.invite.inviteKey)
  const d3 = x25519(stat.secretKey, inv.invite.inviteKey)
  const sk = deriveStaticKey(d1, d2, inv.invite.secret)
  const sealedStatic = aeadSeal(sk.key, sk.nonce, stat.publicKey, header)
  const rk = deriveRequestKey(d1, d2, d3, inv.invite.secret)
  const name = f.name ?? utf8('Bob')
  const info = f.info ?? new Uint8Array(3)
  const body = concat(f.bundle ?? bobBundle, u64(NOW), Uint8Array.of(f.nameLen ?? name.length), name, u16(info.length), info)
  const transcript = concat(utf8('Tern/v1/ContactRequestSig'), header, sealedStatic, alice.signing.publicKey, alice.agreement.publicKey, inv.invite.inviteKey, body)
  const sig = (f.signTranscript ?? ((m) => ed25519Sign((f.signer ?? bob).signing.secretKey, m)))(transcript)
  return concat(header, sealedStatic, aeadSeal(rk.key, rk.nonce, concat(body, sig, f.trailing ?? new Uint8Array(0)), concat(header, sealedStatic)))
}

const open = (bytes: Uint8Array): string => {
  try { openContactRequest({ bytes, invite: inv.record, myIdentity: alice, now: NOW }); return 'none' } catch (e) { return e instanceof TernError ? e.code : `untyped:${String(e)}` }
}

t.test('a request built by hand from the documented layout opens', async (t) => {
  t.equal(open(forge()), 'none')
  const o = openContactRequest({ bytes: forge({ name: utf8('Böb') }), invite: inv.record, myIdentity: alice, now: NOW })
  t.equal(o.name, 'Böb')
})

t.test('post-decryption checks each have their own code', async (t) => {
  t.equal(open(forge({ staticKey: x25519KeyPair(rng) })), 'ERR_REQUEST_IDENTITY', 'sealed static key differs from the bundle identity')
  const aliceBundle = encodeBundle(createBundle({ identity: alice, signedPreKey: generateSignedPreKey(alice, 1, rng), pqPreKey: generatePqPreKey(alice, 2, rng), createdAt: NOW }))
  t.equal(open(forge({ staticKey: alice.agreement, bundle: aliceBundle, signer: alice })), 'ERR_REQUEST_IDENTITY', 'request from my own identity')
  t.equal(open(forge({ signer: generateIdentity(rng) })), 'ERR_REQUEST_BAD_SIGNATURE', 'signed by another key')
  t.equal(open(forge({ signTranscript: (m) => ed25519Sign(bob.signing.secretKey, concat(m, Uint8Array.of(0))) })), 'ERR_REQUEST_BAD_SIGNATURE', 'signature over another transcript')
  t.equal(open(forge({ trailing: Uint8Array.of(0) })), 'ERR_REQUEST_MALFORMED', 'trailing payload bytes')
  t.equal(open(forge({ name: Uint8Array.of(0xff, 0xfe) })), 'ERR_REQUEST_MALFORMED', 'name not UTF-8')
  t.equal(open(forge({ name: new Uint8Array(65).fill(0x61) })), 'ERR_REQUEST_LIMIT', 'name over 64 bytes')
  t.equal(open(forge({ info: new Uint8Array(1025) })), 'ERR_REQUEST_LIMIT', 'contact info over 1 KiB')
  const v2 = bobBundle.slice(); v2[0] = 2
  t.equal(open(forge({ bundle: v2 })), 'ERR_REQUEST_MALFORMED', 'inner bundle with an unknown version')
  const badSpk = bobBundle.slice(); badSpk[150]! ^= 1
  t.equal(open(forge({ bundle: badSpk })), 'ERR_SIGNED_PREKEY_SIGNATURE', 'inner bundle with a bad prekey signature')
  t.equal(open(forge({ nameLen: 200, name: new Uint8Array(3) })), 'ERR_REQUEST_LIMIT', 'length prefix over the limit')
})

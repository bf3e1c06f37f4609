/**
 * Known answers for the ratchet KDFs (PROTOCOL.md §6.2, §6.3): libsignal's chain-key derivation
 * (test/vectors/libsignal-chain-key.json) through Tern's own kdfChain and messageKeyMaterial, and the Tern-labelled
 * KDF_RK / message keys against an RFC 5869 HKDF and HMAC written out with @noble.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { hkdf as nhkdf } from '@noble/hashes/hkdf.js'
import { hmac as nhmac } from '@noble/hashes/hmac.js'
import { sha256 as nsha256 } from '@noble/hashes/sha2.js'
import { fromHex, toHex, seededRng, utf8 } from '../protocol/crypto/index.js'
import { kdfChain, kdfRoot, messageKeyMaterial, messageKeys, MESSAGE_KEYS_INFO, ROOT_INFO } from '../protocol/ratchet/index.js'

const kat = JSON.parse(readFileSync(new URL('./vectors/libsignal-chain-key.json', import.meta.url), 'utf8'))

t.test('libsignal chain key: KDF_CK and the WhisperMessageKeys expansion', async t => {
  t.match(kat.origin, /signalapp\/libsignal/)
  const step = kdfChain(fromHex(kat.chain_key))
  t.equal(toHex(step.chainKey), kat.next_chain_key, 'next chain key = HMAC(ck, 0x02)')
  const okm = messageKeyMaterial(step.messageKey, kat.info, kat.length)
  t.equal(okm.length, 80)
  t.equal(toHex(okm.subarray(0, 32)), kat.cipher_key, 'cipher key')
  t.equal(toHex(okm.subarray(32, 64)), kat.mac_key, 'mac key')
})

t.test('Tern labels: KDF_RK and message keys match a noble computation', async t => {
  const rng = seededRng('ratchet-kat')
  for (let i = 0; i < 20; i++) {
    const rk = rng(32); const dh = rng(32); const ck = rng(32)
    const okm = nhkdf(nsha256, dh, rk, utf8(ROOT_INFO), 96)
    const r = kdfRoot(rk, dh)
    t.equal(toHex(r.rootKey) + toHex(r.chainKey) + toHex(r.nextHeaderKey), toHex(okm))
    const seed = nhmac(nsha256, ck, Uint8Array.of(1))
    const s = kdfChain(ck)
    t.equal(toHex(s.messageKey), toHex(seed))
    t.equal(toHex(s.chainKey), toHex(nhmac(nsha256, ck, Uint8Array.of(2))))
    const mk = nhkdf(nsha256, seed, new Uint8Array(32), utf8(MESSAGE_KEYS_INFO), 44)
    const m = messageKeys(seed)
    t.equal(toHex(m.key), toHex(mk.subarray(0, 32)))
    t.equal(toHex(m.nonce), toHex(mk.subarray(32)))
  }
  t.equal(ROOT_INFO, 'Tern/v1/Ratchet/Root')
  t.equal(MESSAGE_KEYS_INFO, 'Tern/v1/Ratchet/MessageKeys')
})

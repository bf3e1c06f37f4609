/**
 * Wycheproof known answers (test/vectors/wycheproof/, Apache-2.0) for every primitive Tern calls, run through
 * Tern's own wrappers in protocol/crypto/.
 */
import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import {
  x25519, ed25519Verify, hkdf, hmacSha256, aeadSeal, aeadOpen, mlkem768KeyPair, mlkem768Encapsulate,
  mlkem768Decapsulate, fromHex, toHex, concat, type Rng
} from '../protocol/crypto/index.js'
import { TernError } from '../protocol/errors.js'

interface Group { tests: Array<Record<string, any>>, [k: string]: any }
const load = (name: string): Group[] =>
  JSON.parse(readFileSync(new URL(`./vectors/wycheproof/${name}_test.json`, import.meta.url), 'utf8')).testGroups
const fixed = (bytes: Uint8Array): Rng => () => bytes
const h = fromHex

/** Passes when fn throws one of the protocol core's typed errors (and nothing else). */
function throwsTyped (t: Test, fn: () => unknown, msg: string): void {
  try {
    fn()
    t.fail(`${msg}: no error`)
  } catch (err) {
    t.ok(err instanceof TernError, `${msg}: ${(err as Error).name}`)
  }
}

t.test('X25519 (RFC 7748)', async t => {
  let n = 0
  for (const g of load('x25519')) {
    for (const v of g.tests) {
      n++
      const zero = /^0+$/.test(v.shared)
      if (zero) {
        // low-order public keys: Tern rejects the all-zero output (RFC 7748 §6.1)
        t.throws(() => x25519(h(v.private), h(v.public)), { code: 'ERR_INVALID_PUBLIC_KEY' }, `tc ${v.tcId as number}`)
      } else {
        t.equal(toHex(x25519(h(v.private), h(v.public))), v.shared, `tc ${v.tcId as number} ${v.comment as string}`)
      }
    }
  }
  t.equal(n, 518)
})

t.test('Ed25519 strict verification (RFC 8032)', async t => {
  let n = 0
  for (const g of load('ed25519')) {
    const pk = h(g.publicKey.pk)
    for (const v of g.tests) {
      n++
      t.equal(ed25519Verify(pk, h(v.msg), h(v.sig)), v.result === 'valid', `tc ${v.tcId as number} ${v.comment as string}`)
    }
  }
  t.equal(n, 151)
})

t.test('HKDF-SHA256 (RFC 5869)', async t => {
  let n = 0
  for (const g of load('hkdf_sha256')) {
    for (const v of g.tests) {
      n++
      if (v.result === 'valid') {
        t.equal(toHex(hkdf(h(v.ikm), h(v.salt), h(v.info), v.size)), v.okm, `tc ${v.tcId as number}`)
      } else {
        t.throws(() => hkdf(h(v.ikm), h(v.salt), h(v.info), v.size), { code: 'ERR_INVALID_ARGUMENT' }, `tc ${v.tcId as number}`)
      }
    }
  }
  t.equal(n, 86)
})

t.test('HMAC-SHA256 (RFC 2104)', async t => {
  let n = 0
  for (const g of load('hmac_sha256')) {
    const tagBytes = g.tagSize / 8
    for (const v of g.tests) {
      n++
      const tag = toHex(hmacSha256(h(v.key), h(v.msg)).subarray(0, tagBytes))
      t.equal(tag === v.tag, v.result === 'valid', `tc ${v.tcId as number}`)
    }
  }
  t.equal(n, 174)
})

t.test('AES-256-GCM, 96-bit nonce, 128-bit tag (the AEAD Tern uses)', async t => {
  let n = 0
  for (const g of load('aes_gcm')) {
    if (g.keySize !== 256 || g.ivSize !== 96 || g.tagSize !== 128) continue
    for (const v of g.tests) {
      n++
      const sealed = concat(h(v.ct), h(v.tag))
      if (v.result === 'valid') {
        t.equal(toHex(aeadSeal(h(v.key), h(v.iv), h(v.msg), h(v.aad))), toHex(sealed), `seal tc ${v.tcId as number}`)
        t.equal(toHex(aeadOpen(h(v.key), h(v.iv), sealed, h(v.aad))), v.msg, `open tc ${v.tcId as number}`)
      } else {
        t.throws(() => aeadOpen(h(v.key), h(v.iv), sealed, h(v.aad)), { code: 'ERR_AUTHENTICATION' }, `tc ${v.tcId as number}`)
      }
    }
  }
  t.ok(n > 50, `${n} cases`)
})

t.test('ML-KEM-768 key generation and decapsulation (FIPS 203)', async t => {
  let n = 0
  for (const g of load('mlkem_768')) {
    for (const v of g.tests) {
      n++
      const run = (): void => {
        const kp = mlkem768KeyPair(fixed(h(v.seed)))
        t.equal(toHex(kp.publicKey), v.ek, `ek tc ${v.tcId as number}`)
        t.equal(toHex(mlkem768Decapsulate(h(v.c), kp.secretKey)), v.K, `K tc ${v.tcId as number}`)
      }
      if (v.result === 'valid') run()
      else throwsTyped(t, run, `tc ${v.tcId as number} ${v.comment as string}`)
    }
  }
  t.equal(n, 193)
})

t.test('ML-KEM-768 encapsulation (FIPS 203, modulus check)', async t => {
  let n = 0
  for (const g of load('mlkem_768_encaps')) {
    for (const v of g.tests) {
      n++
      if (v.result === 'valid') {
        const r = mlkem768Encapsulate(h(v.ek), fixed(h(v.m)))
        t.equal(toHex(r.cipherText), v.c, `c tc ${v.tcId as number}`)
        t.equal(toHex(r.sharedSecret), v.K, `K tc ${v.tcId as number}`)
      } else {
        throwsTyped(t, () => mlkem768Encapsulate(h(v.ek), fixed(h(v.m))), `tc ${v.tcId as number}`)
      }
    }
  }
  t.equal(n, 265)
})

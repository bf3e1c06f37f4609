/**
 * protocol/crypto/noise.ts (libsodium under @chainsafe/libp2p-noise) against the package's own pure-JS crypto (noble),
 * on random inputs: the same bytes out, in-place decryption as the package does it, tampering refused. Then a real
 * handshake and traffic between two libp2p hosts, one with each implementation, over loopback TCP.
 */
import '../node/polyfill.js'
import t from 'tap'
import fc from 'fast-check'
import { noise, pureJsCrypto } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { Uint8ArrayList } from 'uint8arraylist'
import { noiseCrypto } from '../protocol/crypto/noise.js'
import { toHex } from '../protocol/crypto/index.js'

const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n })
const hex = (b: { subarray: () => Uint8Array }): string => toHex(b.subarray())

t.test('ChaCha20-Poly1305 seals and opens like the reference, in place too', async t => {
  fc.assert(fc.property(bytes(32), bytes(12), fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 3000 }), (k, n, ad, m) => {
    const c = noiseCrypto.chaCha20Poly1305Encrypt(m, n, ad, k)
    if (hex(c) !== hex(pureJsCrypto.chaCha20Poly1305Encrypt(m, n, ad, k))) return false
    const frame = c.slice()
    const opened = noiseCrypto.chaCha20Poly1305Decrypt(frame, n, ad, k, frame.subarray(0, frame.length - 16))
    return hex(opened) === hex(m) && hex(frame.subarray(0, m.length)) === hex(m) &&
      hex(noiseCrypto.chaCha20Poly1305Decrypt(new Uint8ArrayList(c.subarray(0, 5), c.subarray(5)), n, ad, k)) === hex(m)
  }), { numRuns: 300 })
  const k = new Uint8Array(32).fill(7); const n = new Uint8Array(12)
  const c = noiseCrypto.chaCha20Poly1305Encrypt(new Uint8Array(100), n, new Uint8Array(0), k)
  for (const i of [0, 50, 99, 100, 115]) {
    const x = c.slice(); x[i] ^= 1
    t.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(x, n, new Uint8Array(0), k), { code: 'ERR_AUTHENTICATION' }, `bit flipped in byte ${i}`)
  }
  t.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(new Uint8Array(15), n, new Uint8Array(0), k), { code: 'ERR_AUTHENTICATION' }, 'shorter than a tag')
  t.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(c, n, new Uint8Array(1), k), { code: 'ERR_AUTHENTICATION' }, 'other AD')
})

t.test('SHA-256, HKDF and X25519 match the reference', async t => {
  fc.assert(fc.property(bytes(32), bytes(32), bytes(32), fc.uint8Array({ maxLength: 200 }), (ck, ikm, seed, data) => {
    const a = noiseCrypto.getHKDF(ck, ikm); const b = pureJsCrypto.getHKDF(ck, ikm)
    const kp = noiseCrypto.generateX25519KeyPairFromSeed(seed)
    const peer = pureJsCrypto.generateX25519KeyPair()
    return a.every((x, i) => hex(x) === hex(b[i])) &&
      hex(noiseCrypto.hashSHA256(data)) === hex(pureJsCrypto.hashSHA256(data)) &&
      hex(kp.publicKey) === hex(pureJsCrypto.generateX25519KeyPairFromSeed(seed).publicKey) &&
      hex(noiseCrypto.generateX25519SharedKey(kp.privateKey, peer.publicKey)) === hex(pureJsCrypto.generateX25519SharedKey(kp.privateKey, peer.publicKey))
  }), { numRuns: 100 })
  const kp = noiseCrypto.generateX25519KeyPair()
  t.equal(hex(kp.publicKey), hex(pureJsCrypto.generateX25519KeyPairFromSeed(kp.privateKey).publicKey), 'a fresh pair is consistent')
  t.throws(() => noiseCrypto.generateX25519SharedKey(kp.privateKey, new Uint8Array(32)), { code: 'ERR_INVALID_PUBLIC_KEY' }, 'a low-order key fails the handshake')
})

t.test('a host on libsodium talks to a host on the reference crypto', async t => {
  const mk = async (crypto?: typeof noiseCrypto): Promise<Awaited<ReturnType<typeof createLibp2p>>> => await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise(crypto === undefined ? { crypto: pureJsCrypto } : { crypto })],
    streamMuxers: [yamux()]
  })
  const a = await mk(noiseCrypto)
  const b = await mk()
  t.teardown(async () => { await a.stop(); await b.stop() })
  await b.handle('/echo/1', async (stream) => { for await (const chunk of stream) stream.send(chunk) })
  const stream = await a.dialProtocol(b.getMultiaddrs()[0], '/echo/1')
  const sizes = [1, 100, 1199, 1200, 5000, 70_000]
  for (const n of sizes) {
    const payload = new Uint8Array(n).map((_, i) => i * 7)
    stream.send(payload)
    const got = new Uint8ArrayList()
    for await (const chunk of stream) { got.append(chunk); if (got.byteLength >= n) break }
    t.equal(hex(got), hex(payload), `${n} bytes echoed`)
  }
  await stream.close()
})

/**
 * Randomness is a parameter of every protocol operation (shared/STYLE.md, principle 1): callers pass an `Rng`.
 * `systemRng` is the production source; `seededRng` is deterministic, for tests and reproducible vectors only.
 */
import { createHash } from 'node:crypto'
import sodium from 'sodium-native'
import { InvalidArgumentError } from '../errors.js'

/** Returns `n` fresh random bytes. */
export type Rng = (n: number) => Uint8Array

/** Requests up to this many bytes are served from the pool (nonces, ids, keys); larger ones go to libsodium directly. */
const POOLED_MAX_BYTES = 64
const POOL_BYTES = 4096
const pool = new Uint8Array(POOL_BYTES)
let poolPos = POOL_BYTES

/**
 * libsodium's randombytes_buf (getrandom(2) on Linux). Small requests are cut from a 4 KiB pool that one call fills:
 * every call is a system call, ~1.4 us here against ~0.3 us from the pool, and a message needs about twenty of them
 * (a nonce per stored value). Bytes handed out are zeroed in the pool at once, so it only ever holds bytes nobody
 * has seen yet, as a userspace CSPRNG's state does.
 */
export const systemRng: Rng = (n) => {
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('rng: bad length')
  if (n === 0) return new Uint8Array(0)
  if (n > POOLED_MAX_BYTES) {
    const out = new Uint8Array(n)
    sodium.randombytes_buf(out)
    return out
  }
  if (poolPos + n > POOL_BYTES) {
    pool.fill(0, poolPos) // the unused tail is never handed out
    sodium.randombytes_buf(pool)
    poolPos = 0
  }
  const out = pool.slice(poolPos, poolPos + n)
  pool.fill(0, poolPos, poolPos + n)
  poolPos += n
  return out
}

/**
 * Deterministic byte stream: block i = SHA-256("tern-test-rng" || seed || u32be(i)). NOT for production keys.
 */
export function seededRng (seed: Uint8Array | string): Rng {
  const s = typeof seed === 'string' ? new TextEncoder().encode(seed) : seed
  let counter = 0
  let pool = new Uint8Array(0)
  return (n: number) => {
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('rng: bad length')
    const out = new Uint8Array(n)
    let o = 0
    while (o < n) {
      if (pool.length === 0) {
        const c = Buffer.alloc(4); c.writeUInt32BE(counter++)
        pool = new Uint8Array(createHash('sha256').update('tern-test-rng').update(s).update(c).digest())
      }
      const take = Math.min(pool.length, n - o)
      out.set(pool.subarray(0, take), o)
      pool = pool.subarray(take)
      o += take
    }
    return out
  }
}

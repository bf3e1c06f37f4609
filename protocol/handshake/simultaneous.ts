/**
 * Simultaneous adds (PROTOCOL.md §5.7): A and B each answered the other's invite, so two requests cross. The party
 * whose Ed25519 identity key is lexicographically smaller acts as the inviter: it accepts the other's request and drops
 * its own; the larger party ignores the smaller's request and waits for the accept. One session results.
 */
import { InvalidArgumentError } from '../errors.js'
import { assertIdentityPublic, type IdentityPublic } from '../identity/index.js'

/** Unsigned bytewise comparison: negative, zero or positive. */
export function compareBytes (a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number)
    if (d !== 0) return d
  }
  return a.length - b.length
}

/**
 * 'respond': accept their request and drop my outgoing one. 'wait': ignore their request; my request will be accepted.
 */
export function resolveSimultaneous (mine: IdentityPublic, theirs: IdentityPublic): 'respond' | 'wait' {
  assertIdentityPublic(mine, 'mine'); assertIdentityPublic(theirs, 'theirs')
  const c = compareBytes(mine.signingKey, theirs.signingKey)
  if (c === 0) throw new InvalidArgumentError('simultaneous add with my own identity')
  return c < 0 ? 'respond' : 'wait'
}

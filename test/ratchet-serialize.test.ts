/**
 * The state's storage codec (PROTOCOL.md §6.8): serialise / deserialise round trips mid-conversation keep working
 * and are byte-stable; every truncation is ERR_STATE_TRUNCATED, a wrong first byte ERR_STATE_VERSION, trailing bytes
 * and broken invariants ERR_STATE_MALFORMED; random and mutated bytes give only typed errors, never another exception.
 */
import t from 'tap'
import fc from 'fast-check'
import { toHex, utf8 } from '../protocol/crypto/index.js'
import { TernError } from '../protocol/errors.js'
import {
  deserializeState, ratchetDecrypt, ratchetEncrypt, serializeState, STATE_VERSION, type RatchetMessage, type RatchetState
} from '../protocol/ratchet/index.js'
import { codeOf, newPair } from './ratchet-helpers.js'

const rt = (s: RatchetState): RatchetState => deserializeState(serializeState(s))

/** A few states from a conversation with skipped keys in two chains, a pending DH step, and both fresh states. */
function sampleStates (): RatchetState[] {
  let { alice, bob, rng } = newPair('serialize')
  const out: RatchetState[] = [alice, bob]
  const held: RatchetMessage[] = []
  for (let i = 0; i < 4; i++) { const e = ratchetEncrypt(alice, utf8(`a${i}`), rng); alice = e.state; held.push(e.message) }
  bob = ratchetDecrypt(bob, held[3]).state; out.push(bob)
  const e = ratchetEncrypt(bob, utf8('b'), rng); bob = e.state; out.push(bob)
  alice = ratchetDecrypt(alice, e.message).state; out.push(alice)
  const f = ratchetEncrypt(alice, utf8('a-next'), rng); alice = f.state
  for (let i = 0; i < 3; i++) alice = ratchetEncrypt(alice, utf8('more'), rng).state
  const g = ratchetEncrypt(alice, utf8('last'), rng); alice = g.state; out.push(alice)
  bob = ratchetDecrypt(bob, g.message).state; out.push(bob)
  return out
}

t.test('round trips mid-conversation', async t => {
  const states = sampleStates()
  for (const s of states) {
    const bytes = serializeState(s)
    t.equal(bytes[0], STATE_VERSION)
    t.equal(toHex(serializeState(deserializeState(bytes))), toHex(bytes), 'byte-stable')
  }
  t.ok(states[states.length - 1].recvChains.length >= 2, 'skipped keys in more than one chain covered')
  // a conversation with a round trip through the codec before every operation
  let { alice, bob, rng } = newPair('serialize-conv')
  for (let i = 0; i < 30; i++) {
    const fromAlice = i % 3 !== 2
    const e = ratchetEncrypt(rt(fromAlice ? alice : bob), utf8(`m${i}`), rng)
    if (fromAlice) alice = e.state; else bob = e.state
    const d = ratchetDecrypt(rt(fromAlice ? bob : alice), e.message)
    if (fromAlice) bob = d.state; else alice = d.state
    t.equal(Buffer.from(d.plaintext).toString(), `m${i}`)
  }
  const bytes = serializeState(bob)
  const copy = deserializeState(bytes)
  bytes.fill(0)
  t.ok(copy.rootKey.some(b => b !== 0), 'a deserialised state does not alias the input buffer')
})

t.test('truncation, version, trailing bytes', async t => {
  for (const s of sampleStates()) {
    const bytes = serializeState(s)
    let truncated = 0
    for (let n = 0; n < bytes.length; n++) if (codeOf(() => deserializeState(bytes.subarray(0, n))) === 'ERR_STATE_TRUNCATED') truncated++
    t.equal(truncated, bytes.length, `every one of ${bytes.length} truncations`)
    for (const v of [0, 2, 255]) {
      const b = bytes.slice(); b[0] = v
      t.equal(codeOf(() => deserializeState(b)), 'ERR_STATE_VERSION')
    }
    t.equal(codeOf(() => deserializeState(Uint8Array.of(...bytes, 0))), 'ERR_STATE_MALFORMED', 'trailing byte')
    const badFlags = bytes.slice(); badFlags[1] |= 0x80
    t.equal(codeOf(() => deserializeState(badFlags)), 'ERR_STATE_MALFORMED', 'unknown flag')
  }
  t.equal(codeOf(() => deserializeState('x' as unknown as Uint8Array)), 'ERR_INVALID_ARGUMENT')
})

t.test('random and mutated bytes only ever give typed errors', async t => {
  const samples = sampleStates().map(serializeState)
  const typed = (b: Uint8Array): boolean => {
    try { deserializeState(b); return true } catch (err) { return err instanceof TernError }
  }
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), b => typed(b)), { numRuns: 500 })
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), b => typed(Uint8Array.of(STATE_VERSION, ...b))), { numRuns: 500 })
  fc.assert(fc.property(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), (which, at, x) => {
    const b = samples[which % samples.length].slice(); b[at % b.length] ^= x
    return typed(b)
  }), { numRuns: 2000 })
  t.pass('3000 random or mutated encodings')
})

t.test('a mutated but well-formed state fails typed when used, never crashes', async t => {
  let { alice, rng } = newPair('serialize-use')
  const e = ratchetEncrypt(alice, utf8('x'), rng); alice = e.state
  const bytes = serializeState(alice)
  let untyped = 0
  for (let i = 2; i < bytes.length; i++) {
    const b = bytes.slice(); b[i] ^= 0x5a
    let s: RatchetState
    try { s = deserializeState(b) } catch (err) { if (!(err instanceof TernError)) untyped++; continue }
    const c = codeOf(() => ratchetEncrypt(s, utf8('y'), rng))
    if (c.startsWith('UNTYPED')) untyped++
  }
  t.equal(untyped, 0)
})

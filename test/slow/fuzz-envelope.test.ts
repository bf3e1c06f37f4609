/**
 * Long fuzz run of the envelope, content and padding decoders (PROTOCOL.md §7.4): ≥ 100,000 random and mutated inputs
 * each, seeded with fixed samples plus valid encodings drawn from the property-test arbitraries. Run alone with
 * `npx tap test/slow/fuzz-envelope.test.ts` (or `npm run test:slow`).
 */
import t from 'tap'
import fc from 'fast-check'
import { isDeepStrictEqual } from 'node:util'
import { TernError } from '../../protocol/errors.js'
import {
  decodeContent, decodeEnvelope, encodeContent, encodeEnvelope, openContent, sealContent, unpad, type Content, type Envelope
} from '../../protocol/envelope/index.js'
import { contentArb, envelopeArb, sampleContents, sampleEnvelopes } from '../helpers/envelope-arbitraries.js'
import { fuzzDecoder } from '../helpers/fuzz.js'

const CASES = Number(process.env.TERN_FUZZ_CASES ?? 100_000)
const SEED = Number(process.env.TERN_FUZZ_SEED ?? 0x7e2a)
const contents: Content[] = [...sampleContents(), ...fc.sample(contentArb, { numRuns: 60, seed: SEED })]
const envelopes: Envelope[] = [...sampleEnvelopes(), ...fc.sample(envelopeArb, { numRuns: 30, seed: SEED })]
const limits = { seed: SEED, maxCaseMs: 250, maxHeapGrowthBytes: 64 * 1024 * 1024 }

t.setTimeout(600_000)

t.test(`decodeEnvelope: ${CASES} cases`, async t => {
  const r = await fuzzDecoder(t, {
    ...limits,
    name: 'decodeEnvelope',
    decode: decodeEnvelope,
    seeds: envelopes.map(encodeEnvelope),
    cases: CASES,
    typedErrorBase: TernError,
    onAccept: (env) => { if (!isDeepStrictEqual(decodeEnvelope(encodeEnvelope(env)), env)) throw new Error('re-encode differs') }
  })
  t.ok(r.cases >= 100_000 || CASES < 100_000)
})

t.test(`decodeContent: ${CASES} cases`, async t => {
  await fuzzDecoder(t, {
    ...limits,
    name: 'decodeContent',
    decode: decodeContent,
    seeds: contents.map(encodeContent),
    cases: CASES,
    typedErrorBase: TernError,
    onAccept: (c) => { if (!isDeepStrictEqual(decodeContent(encodeContent(c)), c)) throw new Error('re-encode differs') }
  })
})

t.test(`openContent (unpad + decodeContent): ${CASES} cases`, async t => {
  await fuzzDecoder(t, {
    ...limits,
    name: 'openContent',
    decode: openContent,
    seeds: contents.map(sealContent),
    cases: CASES,
    typedErrorBase: TernError,
    maxRandomBytes: 4096
  })
})

t.test(`unpad: ${CASES} cases`, async t => {
  await fuzzDecoder(t, {
    ...limits,
    name: 'unpad',
    decode: unpad,
    seeds: contents.slice(0, 10).map(sealContent),
    cases: CASES,
    typedErrorBase: TernError,
    codes: ['ERR_BAD_PADDING']
  })
})

/**
 * Long fuzz run (≥ 100,000 random and mutated inputs each) of every wire decoder not covered by
 * fuzz-envelope.test.ts: the invite codec and `tern:` parser (PROTOCOL.md §4), the prekey bundle (§3), the contact
 * request header and contact accept (§5), the ratchet header (§6), the mailbox request frames (§8) and the
 * /tern/msg/1.0.0 frame decoder and ack (§12). Seeds are the valid encodings in test/vectors/handshake.json.
 * Only the typed errors (TernError) may come out; no hang, bounded memory (test/helpers/fuzz.ts).
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { TernError } from '../../protocol/errors.js'
import { fromHex } from '../../protocol/crypto/index.js'
import { decodeInvite, parseInvite } from '../../protocol/invite/index.js'
import { decodeBundle } from '../../protocol/prekeys/index.js'
import { decodeContactAccept, requestInviteTag } from '../../protocol/handshake/index.js'
import { decodeHeader } from '../../protocol/ratchet/index.js'
import { decodeRequest } from '../../bootstrap/mailbox/server.js'
import { Request } from '../../bootstrap/mailbox/pb/mailbox.js'
import { FrameDecoder, decodeAck, encodeAck, encodeFrame } from '../../node/messaging/frames.js'
import { fuzzDecoder } from '../helpers/fuzz.js'

const CASES = Number(process.env.TERN_FUZZ_CASES ?? 100_000)
const SEED = Number(process.env.TERN_FUZZ_SEED ?? 0x7e2a)
const limits = { seed: SEED, cases: CASES, typedErrorBase: TernError, maxCaseMs: 250, maxHeapGrowthBytes: 64 * 1024 * 1024 }
const v = JSON.parse(readFileSync(new URL('../vectors/handshake.json', import.meta.url), 'utf8'))
const now: number = v.alice?.now ?? v.now ?? 1_750_000_000_000
const utf8 = new TextEncoder()
const text = new TextDecoder()

t.setTimeout(900_000)

const runs: Array<{ name: string, decode: (b: Uint8Array) => unknown, seeds: Uint8Array[], maxRandomBytes?: number }> = [
  { name: 'decodeInvite', decode: (b) => decodeInvite(b, now), seeds: [fromHex(v.invite.bytes)] },
  { name: 'parseInvite (tern: URI text)', decode: (b) => parseInvite(text.decode(b), now), seeds: [utf8.encode(v.invite.uri)], maxRandomBytes: 1024 },
  { name: 'decodeBundle', decode: decodeBundle, seeds: [fromHex(v.bob.bundle)], maxRandomBytes: 4096 },
  { name: 'requestInviteTag (contact request header)', decode: requestInviteTag, seeds: [fromHex(v.request.bytes)], maxRandomBytes: 4096 },
  { name: 'decodeContactAccept', decode: decodeContactAccept, seeds: [fromHex(v.accept.bytes)], maxRandomBytes: 4096 },
  {
    name: 'decodeHeader (ratchet header plaintext)',
    decode: (b) => { if (b.length !== 40) throw new TernError('ERR_TEST_LENGTH', 'not 40 bytes'); return decodeHeader(b) },
    seeds: [new Uint8Array(40)]
  },
  {
    name: 'mailbox decodeRequest',
    decode: decodeRequest,
    seeds: [
      Request.encode({ id: 1, type: Request.Type.DEPOSIT, queueId: new Uint8Array(16), token: new Uint8Array(32), envelope: new Uint8Array(100) } as any),
      Request.encode({ id: 2, type: Request.Type.FETCH, queueId: new Uint8Array(16) } as any)
    ]
  },
  {
    name: '/tern/msg frame decoder',
    decode: (b) => new FrameDecoder().push(b),
    seeds: [encodeFrame(new Uint8Array(300)), encodeFrame(new Uint8Array(5))]
  },
  { name: '/tern/msg ack', decode: decodeAck, seeds: [encodeAck(0 as any), encodeAck(1 as any)] }
]

for (const r of runs) {
  t.test(`${r.name}: ${CASES} cases`, async t => {
    const rep = await fuzzDecoder(t, { ...limits, name: r.name, decode: r.decode, seeds: r.seeds, ...(r.maxRandomBytes !== undefined ? { maxRandomBytes: r.maxRandomBytes } : {}) })
    t.ok(rep.cases >= Math.min(CASES, 100_000), `${rep.cases} cases (${rep.accepted} accepted, ${rep.rejected} rejected)`)
  })
}

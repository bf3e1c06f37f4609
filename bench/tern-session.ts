/**
 * Tern's side of the protocol bench (bench/harness.ts): a session is set up with the full contact handshake of
 * PROTOCOL.md §5 and carries messages as the node will send them (§6, §7):
 * - setup (timed): the invitee decodes the invite and sends a ContactRequest; the inviter opens it and answers with a
 *   ContactAccept (PQXDH with X25519 + ML-KEM-768, first ratchet message inside); the invitee completes it. Both
 *   carried in envelopes (§7.1); both ratchet states end serialised. Identities, the invite and the invitee's prekeys
 *   are made untimed in `prepare`, as libsignal's identities and prekeys are.
 * - send: load + deserializeState → pad (§7.3) → ratchetEncrypt → serializeState + store → encodeEnvelope.
 * - receive: decodeEnvelope → load + deserializeState → ratchetDecrypt → serializeState + store → unpad.
 * Side 0 is the inviter (the ratchet's sender, "Alice"), side 1 the invitee.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { IdentityKeyPair } from '../protocol/identity/index.js'
import type { OpenInvite } from '../protocol/invite/index.js'
import type { PqPreKeyPair, SignedPreKeyPair } from '../protocol/prekeys/index.js'
import type { Rng } from '../protocol/crypto/index.js'
import type { Implementation, SessionHarness, Side } from './harness.js'

/** The protocol modules the harness drives, as one namespace per folder. */
interface Protocol {
  crypto: typeof import('../protocol/crypto/index.js')
  envelope: typeof import('../protocol/envelope/index.js')
  handshake: typeof import('../protocol/handshake/index.js')
  identity: typeof import('../protocol/identity/index.js')
  invite: typeof import('../protocol/invite/index.js')
  prekeys: typeof import('../protocol/prekeys/index.js')
  ratchet: typeof import('../protocol/ratchet/index.js')
}

const FOLDERS = ['crypto', 'envelope', 'handshake', 'identity', 'invite', 'prekeys', 'ratchet'] as const

/**
 * Loads protocol/ from the compiled build (dist/, which `npm run bench` makes first: the JavaScript users run) when
 * it is complete and not older than any source file, else from the sources through the tsx loader (`why` says so).
 * Measured here: the same code runs 15-30 % slower through tsx (source maps and the loader's transform), which would
 * understate Tern against libsignal's native code.
 */
export async function loadProtocol (): Promise<{ protocol: Protocol, compiled: boolean, why: string }> {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const stale = staleCompiledFile(join(root, 'protocol'), join(root, 'dist', 'protocol'))
  const compiled = stale === undefined
  const out: Record<string, unknown> = {}
  for (const f of FOLDERS) {
    const file = compiled ? join(root, 'dist', 'protocol', f, 'index.js') : join(root, 'protocol', f, 'index.ts')
    out[f] = await import(pathToFileURL(file).href)
  }
  return { protocol: out as unknown as Protocol, compiled, why: stale ?? 'dist/ is up to date' }
}

/** The first source file under `src` whose compiled .js under `dist` is missing or older, or undefined. */
function staleCompiledFile (src: string, dist: string): string | undefined {
  for (const e of readdirSync(src, { withFileTypes: true })) {
    const from = join(src, e.name)
    if (e.isDirectory()) {
      const inner = staleCompiledFile(from, join(dist, e.name))
      if (inner !== undefined) return inner
    } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
      const to = join(dist, e.name.replace(/\.ts$/, '.js'))
      if (!existsSync(to)) return `${to} is missing`
      if (statSync(to).mtimeMs < statSync(from).mtimeMs) return `${to} is older than its source`
    }
  }
  return undefined
}

export interface TernPrep {
  inviter: IdentityKeyPair
  invitee: IdentityKeyPair
  inviteBytes: Uint8Array
  inviteRecord: OpenInvite
  signedPreKey: SignedPreKeyPair
  pqPreKey: PqPreKeyPair
  now: number
}

/** Each side's ratchet state as its store holds it: bytes only. */
export type TernPair = [Uint8Array, Uint8Array]

function envelopeBody (P: Protocol, wire: Uint8Array, type: 'contact_request' | 'contact_accept'): Uint8Array {
  const env = P.envelope.decodeEnvelope(wire)
  if (env.type !== type) throw new Error(`tern: expected ${type}, got ${env.type}`)
  return env.bytes
}

export function ternHarness (P: Protocol, opts: { firstMessage: Uint8Array, rng?: Rng }): SessionHarness<TernPrep, TernPair> {
  const { decodeEnvelope, encodeEnvelope, pad, unpad } = P.envelope
  const { acceptContactRequest, completeContactAccept, createContactRequest, openContactRequest, requestInviteTag } = P.handshake
  const { generateIdentity } = P.identity
  const { createInvite, decodeInvite } = P.invite
  const { generatePqPreKey, generateSignedPreKey } = P.prekeys
  const { deserializeState, ratchetDecrypt, ratchetEncrypt, serializeState } = P.ratchet
  const { systemRng, utf8 } = P.crypto
  const rng = opts.rng ?? systemRng
  const first = opts.firstMessage
  return {
    name: 'tern',

    async prepare () {
      const now = Date.now()
      const inviter = generateIdentity(rng)
      const invitee = generateIdentity(rng)
      const inv = createInvite({
        identity: inviter,
        relayAddr: utf8('/ip4/11.0.0.1/tcp/4001/p2p/bench-relay'),
        mailbox: { queueId: rng(16), depositToken: rng(32) },
        expiresAt: Math.floor(now / 1000) + 3600,
        rng
      })
      return {
        inviter,
        invitee,
        inviteBytes: inv.bytes,
        inviteRecord: inv.record,
        signedPreKey: generateSignedPreKey(invitee, 1, rng),
        pqPreKey: generatePqPreKey(invitee, 2, rng),
        now
      }
    },

    async setup (p) {
      // invitee: invite → ContactRequest
      const invite = decodeInvite(p.inviteBytes, p.now)
      const req = createContactRequest({
        invite, myIdentity: p.invitee, signedPreKey: p.signedPreKey, pqPreKey: p.pqPreKey,
        name: 'bench', contactInfo: new Uint8Array(0), now: p.now, rng
      })
      const reqWire = encodeEnvelope({ type: 'contact_request', bytes: req.request })
      // inviter: open the request, PQXDH, ContactAccept with the first (padded) ratchet message
      const reqBytes = envelopeBody(P, reqWire, 'contact_request')
      requestInviteTag(reqBytes) // the node looks the invite record up by this tag
      const opened = openContactRequest({ bytes: reqBytes, invite: p.inviteRecord, myIdentity: p.inviter, now: p.now })
      const acc = acceptContactRequest({ opened, myIdentity: p.inviter, firstPlaintext: pad(first), rng })
      const inviterState = serializeState(acc.state)
      const accWire = encodeEnvelope({ type: 'contact_accept', bytes: acc.accept })
      // invitee: complete
      const done = completeContactAccept({
        bytes: envelopeBody(P, accWire, 'contact_accept'), pending: req.pending, myIdentity: p.invitee,
        signedPreKey: p.signedPreKey, pqPreKey: p.pqPreKey
      })
      const got = unpad(done.firstPlaintext)
      if (!Buffer.from(got).equals(first)) throw new Error('tern: first message mismatch')
      return [inviterState, serializeState(done.state)]
    },

    async send (pair, from: Side, plaintext) {
      const r = ratchetEncrypt(deserializeState(pair[from]), pad(plaintext), rng)
      pair[from] = serializeState(r.state)
      return encodeEnvelope({ type: 'message', message: r.message })
    },

    async receive (pair, to: Side, wire) {
      const env = decodeEnvelope(wire)
      if (env.type !== 'message') throw new Error(`tern: expected a ratchet message, got ${env.type}`)
      const r = ratchetDecrypt(deserializeState(pair[to]), env.message)
      pair[to] = serializeState(r.state)
      return unpad(r.plaintext)
    }
  }
}

export async function ternImplementation (firstMessage: Uint8Array): Promise<Implementation> {
  const { protocol, compiled, why } = await loadProtocol()
  return {
    harness: ternHarness(protocol, { firstMessage }),
    messageNote: 'message path = pad (1,024 B content + 0x80 marker -> 4,096 B bucket, §7.3) + ratchet + envelope codec; ' +
      (compiled ? 'protocol/ compiled (dist/)' : `protocol/ from sources through tsx (${why}; npm run bench builds first)`),
    setupNote: 'invite decode + ContactRequest + open + ContactAccept (PQXDH X25519 + ML-KEM-768, first ratchet message) + complete, in envelopes'
  }
}

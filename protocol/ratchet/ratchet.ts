/**
 * Double Ratchet with header encryption (Signal specification rev. 1, 2016, §3 and §4; PROTOCOL.md §6).
 * Owns: init, encrypt and decrypt over an immutable RatchetState. Does not know: how the initial secrets were
 * agreed (§5), how messages are framed on the wire (§7) or where states are stored.
 *
 * One deliberate difference from the spec's pseudocode (§6.5): ratchetDecrypt takes no Rng, so the sending half of
 * a DH ratchet step (GENERATE_DH, KDF_RK) runs at the next ratchetEncrypt. It produces the same keys: nothing reads
 * RK, DHs or CKs between the two halves.
 */
import { abytes, aeadOpen, aeadSeal, concat, equal, wipe, x25519PublicKey, type Rng, type X25519KeyPair } from '../crypto/index.js'
import { InvalidArgumentError } from '../errors.js'
import {
  ENCRYPTED_HEADER_BYTES, HEADER_NONCE_BYTES, MAX_ASSOCIATED_DATA_BYTES, MAX_COUNTER, MAX_RECEIVING_CHAINS,
  MAX_SKIP, MAX_SKIPPED_KEYS, RATCHET_KEY_BYTES
} from './constants.js'
import { dh, generateRatchetKeyPair } from './dh.js'
import {
  CounterExhaustedError, DuplicateMessageError, HeaderDecryptError, MalformedMessageError, NotReadyToSendError,
  TooManySkippedError
} from './errors.js'
import { decodeHeader, encodeHeader, openHeader, sealHeader, type Header } from './header.js'
import { kdfChain, kdfRoot, messageKeys } from './kdf.js'
import { skippedCount, type RatchetState, type ReceivingChain } from './state.js'

/** A ratchet message: `header` is the 68-byte encrypted header, `body` the AEAD ciphertext (plaintext + 16). §6.4 */
export interface RatchetMessage { header: Uint8Array, body: Uint8Array }

export interface SenderInit {
  /** SK: the 32-byte shared secret from the handshake; the first root key. */
  rootKey: Uint8Array
  /** Shared HKa (32): the initiator's first sending header key. */
  sendHeaderKey: Uint8Array
  /** Shared NHKb (32): the initiator's next receiving header key (the responder's first sending header key). */
  nextRecvHeaderKey: Uint8Array
  /** The responder's ratchet public key (32). */
  remoteRatchetKey: Uint8Array
  /** AD bound into every header and body (e.g. both identities, from the handshake); at most 65,535 bytes. */
  associatedData: Uint8Array
  rng: Rng
}

export interface ReceiverInit {
  /** SK, as for initSender. */
  rootKey: Uint8Array
  /** The same shared HKa given to initSender: becomes the responder's NHKr. */
  sendHeaderKey: Uint8Array
  /** The same shared NHKb given to initSender: becomes the responder's NHKs. */
  nextRecvHeaderKey: Uint8Array
  /** The responder's ratchet key pair (its public key is the initiator's remoteRatchetKey). */
  ownRatchetKeyPair: X25519KeyPair
  associatedData: Uint8Array
}

function checkAssociatedData (ad: Uint8Array): void {
  abytes(ad, undefined, 'associatedData')
  if (ad.length > MAX_ASSOCIATED_DATA_BYTES) throw new InvalidArgumentError('associatedData: too long')
}

/** RatchetInitAliceHE (spec §4.3): the initiator's state, with its first sending chain already derived. */
export function initSender (p: SenderInit): RatchetState {
  abytes(p.rootKey, RATCHET_KEY_BYTES, 'rootKey')
  abytes(p.sendHeaderKey, RATCHET_KEY_BYTES, 'sendHeaderKey')
  abytes(p.nextRecvHeaderKey, RATCHET_KEY_BYTES, 'nextRecvHeaderKey')
  abytes(p.remoteRatchetKey, 32, 'remoteRatchetKey')
  checkAssociatedData(p.associatedData)
  const kp = generateRatchetKeyPair(p.rng)
  const out = dh(kp, p.remoteRatchetKey)
  const root = kdfRoot(p.rootKey, out)
  wipe(out)
  return {
    dhSelf: kp,
    dhRemote: p.remoteRatchetKey.slice(),
    rootKey: root.rootKey,
    sendChainKey: root.chainKey,
    recvChainKey: null,
    sendHeaderKey: p.sendHeaderKey.slice(),
    nextSendHeaderKey: root.nextHeaderKey,
    nextRecvHeaderKey: p.nextRecvHeaderKey.slice(),
    sendCount: 0,
    recvCount: 0,
    prevSendCount: 0,
    recvChains: [],
    associatedData: p.associatedData.slice()
  }
}

/** RatchetInitBobHE (spec §4.3): the responder's state; it can send once it has received a message. */
export function initReceiver (p: ReceiverInit): RatchetState {
  abytes(p.rootKey, RATCHET_KEY_BYTES, 'rootKey')
  abytes(p.sendHeaderKey, RATCHET_KEY_BYTES, 'sendHeaderKey')
  abytes(p.nextRecvHeaderKey, RATCHET_KEY_BYTES, 'nextRecvHeaderKey')
  const kp = p.ownRatchetKeyPair
  abytes(kp?.secretKey, 32, 'ownRatchetKeyPair.secretKey'); abytes(kp.publicKey, 32, 'ownRatchetKeyPair.publicKey')
  if (!equal(x25519PublicKey(kp.secretKey), kp.publicKey)) {
    throw new InvalidArgumentError('ownRatchetKeyPair: public key does not match the secret key')
  }
  checkAssociatedData(p.associatedData)
  return {
    dhSelf: { secretKey: kp.secretKey.slice(), publicKey: kp.publicKey.slice() },
    dhRemote: null,
    rootKey: p.rootKey.slice(),
    sendChainKey: null,
    recvChainKey: null,
    sendHeaderKey: null,
    nextSendHeaderKey: p.nextRecvHeaderKey.slice(),
    nextRecvHeaderKey: p.sendHeaderKey.slice(),
    sendCount: 0,
    recvCount: 0,
    prevSendCount: 0,
    recvChains: [],
    associatedData: p.associatedData.slice()
  }
}

/**
 * RatchetEncryptHE (spec §4.3). Rng use, in order: 32 bytes for a new ratchet secret when a DH step is pending,
 * then the 12-byte header nonce.
 */
export function ratchetEncrypt (state: RatchetState, plaintext: Uint8Array, rng: Rng): { state: RatchetState, message: RatchetMessage } {
  abytes(plaintext, undefined, 'plaintext')
  const hks = state.sendHeaderKey
  const remote = state.dhRemote
  if (hks === null || remote === null) throw new NotReadyToSendError()
  if (state.sendCount >= MAX_COUNTER) throw new CounterExhaustedError()

  let dhSelf = state.dhSelf
  let rootKey = state.rootKey
  let nextSendHeaderKey = state.nextSendHeaderKey
  let chainKey = state.sendChainKey
  let base = state
  if (chainKey === null) { // the sending half of the DH ratchet step (spec DHRatchetHE, second KDF_RK)
    if (state.peerOnCurrent === true) { const { peerOnCurrent: _, ...rest } = state; base = rest } // a new chain: no peer has seen it
    const kp = generateRatchetKeyPair(rng)
    const out = dh(kp, remote)
    const root = kdfRoot(rootKey, out)
    wipe(out)
    dhSelf = kp
    rootKey = root.rootKey
    chainKey = root.chainKey
    nextSendHeaderKey = root.nextHeaderKey
  }
  const step = kdfChain(chainKey)
  if (chainKey !== state.sendChainKey) wipe(chainKey)
  const headerPlain = encodeHeader(dhSelf.publicKey, state.prevSendCount, state.sendCount)
  const header = sealHeader(hks, headerPlain, state.associatedData, rng(HEADER_NONCE_BYTES))
  const mk = messageKeys(step.messageKey)
  const body = aeadSeal(mk.key, mk.nonce, plaintext, concat(state.associatedData, header))
  wipe(headerPlain, step.messageKey, mk.material)
  return {
    state: {
      ...base,
      dhSelf,
      rootKey,
      sendChainKey: step.chainKey,
      nextSendHeaderKey,
      sendCount: state.sendCount + 1
    },
    message: { header, body }
  }
}

/**
 * Advances the sending chain by `n` message keys without sending anything (the keys are derived and wiped): the
 * next message carries N = sendCount + n, and the receiver keeps the n skipped keys as for lost messages (§6.6).
 * A node does this before it sends after a restart, over the keys it may have used in messages whose state it
 * could not make durable before the restart (PROTOCOL.md §6.9): a message key is never used twice. With no sending
 * chain (a DH step pending) there is nothing to skip: the next message starts a chain from fresh randomness.
 */
export function skipSending (state: RatchetState, n: number): RatchetState {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_SKIP) throw new InvalidArgumentError(`skip: expected 0..${MAX_SKIP}`)
  const chainKey = state.sendChainKey
  if (n === 0 || chainKey === null) return state
  if (state.sendCount + n >= MAX_COUNTER) throw new CounterExhaustedError()
  const run = skipKeys(chainKey, state.sendCount, state.sendCount + n) // the receiver's walk, keys dropped
  wipeKeys(run.keys)
  return { ...state, sendChainKey: run.chainKey, sendCount: state.sendCount + n }
}

/**
 * RatchetDecryptHE (spec §4.3). Header keys are tried in the order current (HKr), next (NHKr) (or NHKr first, see
 * below), then older chains newest first; a skipped key is looked up in the chain whose header key opened the
 * header. §6.5, §6.6
 */
export function ratchetDecrypt (state: RatchetState, message: RatchetMessage): { state: RatchetState, plaintext: Uint8Array } {
  const enc = abytes(message?.header, undefined, 'message.header')
  const body = abytes(message.body, undefined, 'message.body')
  if (enc.length !== ENCRYPTED_HEADER_BYTES) throw new MalformedMessageError(`header must be ${ENCRYPTED_HEADER_BYTES} bytes`)
  const ad = state.associatedData
  const chains = state.recvChains
  const current = state.recvChainKey !== null ? chains.length - 1 : -1

  // Which of HKr and NHKr to try first only affects speed (a header opens under one key): once we have sent on a
  // sending chain newer than the peer's current chain, the peer's next message most likely starts a new chain,
  // unless one has come on the current chain since (the peer has not seen ours yet: a stream of texts while we
  // sent a receipt; peerOnCurrent), when the next most likely does too.
  const nextFirst = state.sendChainKey !== null && state.sendCount > 0 && current >= 0 && state.peerOnCurrent !== true
  if (nextFirst) {
    const next = openHeader(state.nextRecvHeaderKey, enc, ad)
    if (next !== null) return handleNewChain(state, readHeader(next), enc, body)
  }
  if (current >= 0) {
    const plain = openHeader(chains[current].headerKey, enc, ad)
    if (plain !== null) return handleCurrentChain(state, readHeader(plain), enc, body)
  }
  if (!nextFirst) {
    const next = openHeader(state.nextRecvHeaderKey, enc, ad)
    if (next !== null) return handleNewChain(state, readHeader(next), enc, body)
  }
  for (let i = (current >= 0 ? current : chains.length) - 1; i >= 0; i--) {
    const plain = openHeader(chains[i].headerKey, enc, ad)
    if (plain !== null) return handleSkipped(state, i, readHeader(plain).n, enc, body)
  }
  throw new HeaderDecryptError()
}

function readHeader (plain: Uint8Array): Header {
  const h = decodeHeader(plain)
  wipe(plain)
  if (h.n >= MAX_COUNTER || h.pn > MAX_COUNTER) throw new MalformedMessageError('counter out of range')
  return h
}

/** A message in the current receiving chain: in order, ahead (skipping keys) or behind (a skipped key or a replay). */
function handleCurrentChain (state: RatchetState, h: Header, enc: Uint8Array, body: Uint8Array): { state: RatchetState, plaintext: Uint8Array } {
  const chains = state.recvChains
  const idx = chains.length - 1
  if (state.dhRemote === null || !equal(h.dh, state.dhRemote)) throw new MalformedMessageError('ratchet key does not match its chain')
  if (h.n < state.recvCount) return handleSkipped(state, idx, h.n, enc, body)
  if (h.n - state.recvCount > MAX_SKIP) throw new TooManySkippedError()
  const ck = state.recvChainKey as Uint8Array
  const run = skipKeys(ck, state.recvCount, h.n)
  const step = kdfChain(run.chainKey)
  if (run.chainKey !== ck) wipe(run.chainKey)
  let plaintext: Uint8Array
  try {
    plaintext = openBody(step.messageKey, body, state.associatedData, enc)
  } catch (err) {
    wipeKeys(run.keys); wipe(step.chainKey)
    throw err
  } finally {
    wipe(step.messageKey)
  }
  let recvChains = chains
  if (run.keys.length > 0) {
    const updated = chains.slice()
    updated[idx] = withSkipped(chains[idx], run.keys)
    recvChains = evictOldest(updated)
  }
  const peerOnCurrent = state.sendChainKey !== null && state.sendCount > 0 ? { peerOnCurrent: true as const } : {}
  return { state: { ...state, recvChainKey: step.chainKey, recvCount: h.n + 1, recvChains, ...peerOnCurrent }, plaintext }
}

/** A header under NHKr: the peer took a DH ratchet step (spec DHRatchetHE, receiving half). */
function handleNewChain (state: RatchetState, h: Header, enc: Uint8Array, body: Uint8Array): { state: RatchetState, plaintext: Uint8Array } {
  const ckr = state.recvChainKey
  const behind = ckr !== null && h.pn > state.recvCount ? h.pn - state.recvCount : 0
  if (behind > MAX_SKIP || h.n > MAX_SKIP) throw new TooManySkippedError()
  const out = dh(state.dhSelf, h.dh)
  const root = kdfRoot(state.rootKey, out)
  wipe(out)
  let oldRun: SkipRun | null = null
  if (ckr !== null && behind > 0) {
    oldRun = skipKeys(ckr, state.recvCount, h.pn)
    if (oldRun.chainKey !== ckr) wipe(oldRun.chainKey)
  }
  const run = skipKeys(root.chainKey, 0, h.n)
  const step = kdfChain(run.chainKey)
  wipe(run.chainKey, root.chainKey)
  let plaintext: Uint8Array
  try {
    plaintext = openBody(step.messageKey, body, state.associatedData, enc)
  } catch (err) {
    wipeKeys(run.keys); if (oldRun !== null) wipeKeys(oldRun.keys); wipe(step.chainKey, root.rootKey, root.nextHeaderKey)
    throw err
  } finally {
    wipe(step.messageKey)
  }
  let recvChains = state.recvChains.slice()
  if (oldRun !== null && oldRun.keys.length > 0) {
    recvChains[recvChains.length - 1] = withSkipped(recvChains[recvChains.length - 1], oldRun.keys)
  }
  recvChains.push(withSkipped({ headerKey: state.nextRecvHeaderKey, skipped: new Map() }, run.keys))
  if (recvChains.length > MAX_RECEIVING_CHAINS) recvChains = recvChains.slice(recvChains.length - MAX_RECEIVING_CHAINS)
  recvChains = evictOldest(recvChains)
  return {
    state: {
      ...state,
      dhRemote: h.dh,
      rootKey: root.rootKey,
      recvChainKey: step.chainKey,
      nextRecvHeaderKey: root.nextHeaderKey,
      sendHeaderKey: state.nextSendHeaderKey,
      sendChainKey: null, // sending half pending until the next ratchetEncrypt
      prevSendCount: state.sendCount,
      sendCount: 0,
      recvCount: h.n + 1,
      recvChains
    },
    plaintext
  }
}

/** A message behind its chain's counter: decrypt with its skipped key, or it is a duplicate / replay. */
function handleSkipped (state: RatchetState, idx: number, n: number, enc: Uint8Array, body: Uint8Array): { state: RatchetState, plaintext: Uint8Array } {
  const chain = state.recvChains[idx]
  const seed = chain.skipped.get(n)
  if (seed === undefined) throw new DuplicateMessageError()
  const plaintext = openBody(seed, body, state.associatedData, enc)
  const skipped = new Map(chain.skipped)
  skipped.delete(n)
  const recvChains = state.recvChains.slice()
  recvChains[idx] = { headerKey: chain.headerKey, skipped }
  return { state: { ...state, recvChains }, plaintext }
}

interface SkipRun { chainKey: Uint8Array, keys: Array<[number, Uint8Array]> }

/** SkipMessageKeysHE: message-key seeds for N in [from, until), and the chain key at `until`. */
function skipKeys (chainKey: Uint8Array, from: number, until: number): SkipRun {
  const keys: Array<[number, Uint8Array]> = []
  let ck = chainKey
  for (let i = from; i < until; i++) {
    const step = kdfChain(ck)
    if (ck !== chainKey) wipe(ck)
    keys.push([i, step.messageKey])
    ck = step.chainKey
  }
  return { chainKey: ck, keys }
}

function wipeKeys (keys: Array<[number, Uint8Array]>): void {
  for (const [, k] of keys) wipe(k)
}

function withSkipped (chain: ReceivingChain, keys: Array<[number, Uint8Array]>): ReceivingChain {
  if (keys.length === 0) return chain
  const skipped = new Map(chain.skipped)
  for (const [n, k] of keys) skipped.set(n, k)
  return { headerKey: chain.headerKey, skipped }
}

/** Drops the oldest skipped keys (oldest chain first, lowest N first) beyond MAX_SKIPPED_KEYS. */
function evictOldest (chains: ReceivingChain[]): ReceivingChain[] {
  let excess = skippedCount(chains) - MAX_SKIPPED_KEYS
  if (excess <= 0) return chains
  const out = chains.slice()
  for (let i = 0; i < out.length && excess > 0; i++) {
    const c = out[i]
    if (c.skipped.size === 0) continue
    const skipped = new Map<number, Uint8Array>()
    for (const [n, k] of c.skipped) {
      if (excess > 0) { excess--; continue }
      skipped.set(n, k)
    }
    out[i] = { headerKey: c.headerKey, skipped }
  }
  return out
}

function openBody (seed: Uint8Array, body: Uint8Array, ad: Uint8Array, enc: Uint8Array): Uint8Array {
  const mk = messageKeys(seed)
  try {
    return aeadOpen(mk.key, mk.nonce, body, concat(ad, enc))
  } finally {
    wipe(mk.material)
  }
}

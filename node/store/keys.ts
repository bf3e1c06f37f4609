/**
 * The store's key layout. Keys are stored IN CLEAR (only values are encrypted: db.ts), so a key must never hold a
 * secret, a name, a peer id or message text: only opaque random ids, blinded indexes (Store.blind, an HMAC under a
 * key derived from the database key) and fixed-width big-endian counters. Keys are printable ASCII, so that the byte
 * order LevelDB sorts by equals JavaScript's string order (the in-memory KV relies on it).
 *
 *   meta/<name>                 store metadata (meta/check: key check + schema version; meta/event-cursor)
 *   c/<contactId>               contact record
 *   p/<blind(peerId)>           peer id → contactId index (blinded: the peer id is not readable from the key)
 *   s/<contactId>               session (ratchet) state
 *   m/<contactId>/<u64 seq>     message, ordered per contact by a local sequence number
 *   mi/<contactId>/<msgRef>     message-id → seq index for de-duplication (msgRef: an opaque or blinded id)
 *   o/<messageId>               outbox entry (a message not yet acknowledged by the peer or a mailbox)
 *   e/<u64 cursor>              event log (events.ts)
 * <u64 …> is 16 lowercase hex digits of the big-endian value, so lexicographic order is numeric order.
 */
import { InvalidArgumentError } from '../../protocol/errors.js'
import { toBase64url, type Rng } from '../../protocol/crypto/index.js'

/** Longest key, in characters (= bytes: keys are ASCII). */
export const MAX_KEY_CHARS = 512
/** Longest opaque id inside a key, in characters. */
export const MAX_ID_CHARS = 128
/** Random bytes in an id made by newId(): 128 bits. */
export const ID_BYTES = 16
/** Largest counter a key can hold (counters are JS numbers). */
export const MAX_U64_SAFE = Number.MAX_SAFE_INTEGER

export const PREFIX = Object.freeze({
  meta: 'meta/',
  contact: 'c/',
  peerIndex: 'p/',
  session: 's/',
  message: 'm/',
  messageId: 'mi/',
  outbox: 'o/',
  event: 'e/'
})

const KEY_RE = /^[\x21-\x7e]+$/
const ID_RE = /^[A-Za-z0-9_-]+$/
const U64_RE = /^[0-9a-f]{16}$/

/** Asserts `key` is a valid store key (printable ASCII, 1..MAX_KEY_CHARS). */
export function assertKey (key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_CHARS || !KEY_RE.test(key)) {
    throw new InvalidArgumentError(`store key: expected 1..${MAX_KEY_CHARS} printable ASCII characters`)
  }
  return key
}

/** Asserts `id` is an opaque id usable inside a key (base64url alphabet, 1..MAX_ID_CHARS). */
export function assertId (id: unknown, what = 'id'): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_CHARS || !ID_RE.test(id)) {
    throw new InvalidArgumentError(`${what}: expected 1..${MAX_ID_CHARS} base64url characters`)
  }
  return id
}

/** A fresh opaque id: 16 random bytes, base64url (22 characters). */
export function newId (rng: Rng): string {
  return toBase64url(rng(ID_BYTES))
}

/** Fixed-width encoding of a non-negative safe integer: 16 hex digits, big-endian. */
export function encodeU64 (n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('u64: expected a non-negative safe integer')
  return n.toString(16).padStart(16, '0')
}

export function decodeU64 (s: string): number {
  if (!U64_RE.test(s)) throw new InvalidArgumentError('u64: expected 16 lowercase hex digits')
  const n = parseInt(s, 16)
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('u64: above 2^53-1')
  return n
}

/** The range of every key starting with `prefix` (prefix must be non-empty ASCII). */
export function prefixRange (prefix: string): { gte: string, lt: string } {
  if (prefix.length === 0) throw new InvalidArgumentError('prefix: empty')
  const last = prefix.charCodeAt(prefix.length - 1)
  return { gte: prefix, lt: prefix.slice(0, -1) + String.fromCharCode(last + 1) }
}

export const metaKey = (name: string): string => assertKey(PREFIX.meta + assertId(name, 'meta name'))
export const contactKey = (contactId: string): string => PREFIX.contact + assertId(contactId, 'contactId')
export const peerIndexKey = (blindedPeerId: string): string => PREFIX.peerIndex + assertId(blindedPeerId, 'blinded peer id')
export const sessionKey = (contactId: string): string => PREFIX.session + assertId(contactId, 'contactId')
export const messageKey = (contactId: string, seq: number): string =>
  `${PREFIX.message}${assertId(contactId, 'contactId')}/${encodeU64(seq)}`
/** Every message of one contact, in seq order. */
export const messagePrefix = (contactId: string): string => `${PREFIX.message}${assertId(contactId, 'contactId')}/`
export const messageIdKey = (contactId: string, msgRef: string): string =>
  `${PREFIX.messageId}${assertId(contactId, 'contactId')}/${assertId(msgRef, 'message ref')}`
export const outboxKey = (messageId: string): string => PREFIX.outbox + assertId(messageId, 'messageId')
export const eventKey = (cursor: number): string => PREFIX.event + encodeU64(cursor)

/** Splits `m/<contactId>/<seq>`. */
export function parseMessageKey (key: string): { contactId: string, seq: number } {
  const m = /^m\/([A-Za-z0-9_-]+)\/([0-9a-f]{16})$/.exec(key)
  if (m === null) throw new InvalidArgumentError('not a message key')
  return { contactId: m[1], seq: decodeU64(m[2]) }
}

/** The cursor of `e/<cursor>`. */
export function parseEventKey (key: string): number {
  if (!key.startsWith(PREFIX.event)) throw new InvalidArgumentError('not an event key')
  return decodeU64(key.slice(PREFIX.event.length))
}

/**
 * Contact records (stored under c/<id>, indexed by p/<blind(peerId)>) and their public form, the RPC `Contact`
 * (node/rpc/methods.ts). Also the bridge between a Net QueueCapability and the wire ContactInfo (PROTOCOL.md §7.2).
 * Owns the stored contact schema; knows nothing of sessions or delivery.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { fromBase64url, toBase64url } from '../../protocol/crypto/index.js'
import { fingerprint, formatFingerprint, type IdentityPublic } from '../../protocol/identity/index.js'
import type { ContactInfo } from '../../protocol/envelope/index.js'
import type { QueueCapability } from './net.js'

export type ContactState = 'pending' | 'established' | 'rejected'

/** A capability as stored (JSON): byte fields in base64url. */
export interface StoredCapability { relayAddrs: string[], queueId: string, token: string }

export interface ContactRecord {
  id: string
  peerId: string
  /** Ed25519 and X25519 identity keys, base64url */
  signingKey: string
  agreementKey: string
  name: string
  /** true once the user named the contact: their ContactInfo no longer renames it */
  nameSet: boolean
  state: ContactState
  verified: boolean
  blocked: boolean
  lastSeen: number | null
  unread: number
  createdAt: number
  /** their queue: where I deposit when they are unreachable */
  theirQueue: StoredCapability | null
  /** my queue for them (created by me; its capability went to them) */
  myQueue: StoredCapability | null
  /** last position allocated in this conversation (SEQ_STEP apart) */
  lastPos: number
  /** last sender seq I used in a Text to them */
  lastOutSeq: number
  /**
   * highest sender seq of theirs stored in this conversation (receive.ts): a Text above it is simply appended, with
   * no index scan. Absent in records written before it existed (then the index is scanned).
   */
  lastInSeq?: number
  /** 'invitee': I answered their invite; 'inviter': they answered mine */
  role: 'inviter' | 'invitee'
  /** base64url tag of my outgoing request while pending (invitee side) */
  requestTag: string | null
}

/** The RPC Contact object, exactly as node/rpc/methods.ts declares it. */
export interface Contact {
  id: string
  peerId: string
  name: string
  fingerprint: string
  state: ContactState
  verified: boolean
  blocked: boolean
  online: boolean
  lastSeen: number | null
  unread: number
  createdAt: number
}

export function recordIdentity (c: ContactRecord): IdentityPublic {
  return { signingKey: fromBase64url(c.signingKey), agreementKey: fromBase64url(c.agreementKey) }
}

export function toContact (c: ContactRecord, online: boolean): Contact {
  return {
    id: c.id,
    peerId: c.peerId,
    name: c.name,
    fingerprint: formatFingerprint(fingerprint(recordIdentity(c))),
    state: c.state,
    verified: c.verified,
    blocked: c.blocked,
    online,
    lastSeen: c.lastSeen,
    unread: c.unread,
    createdAt: c.createdAt
  }
}

export function storeCapability (cap: QueueCapability): StoredCapability {
  return { relayAddrs: [...cap.relayAddrs], queueId: toBase64url(cap.queueId), token: toBase64url(cap.token) }
}

export function loadCapability (cap: StoredCapability): QueueCapability {
  return { relayAddrs: [...cap.relayAddrs], queueId: fromBase64url(cap.queueId), token: fromBase64url(cap.token) }
}

/** Binary multiaddr of a string one (the invite and ContactInfo carry binary multiaddrs, the Net strings). */
export const addrToBytes = (addr: string): Uint8Array => multiaddr(addr).bytes
export const addrFromBytes = (bytes: Uint8Array): string => multiaddr(bytes).toString()

/**
 * A compact ContactInfo: my name, my queue for this contact with ONE relay address (the request's contactInfo is
 * capped at 1 KiB, §5.2), and no direct addresses (the Net finds those itself).
 */
export function makeContactInfo (name: string, queue: StoredCapability | null): ContactInfo {
  const info: ContactInfo = { name, addresses: [] }
  if (queue !== null && queue.relayAddrs.length > 0) {
    info.mailbox = { relayAddrs: [addrToBytes(queue.relayAddrs[0] as string)], queueId: fromBase64url(queue.queueId), token: fromBase64url(queue.token) }
  }
  return info
}

/** Their capability from a received ContactInfo (null if absent or unparsable). */
export function capabilityFromInfo (info: ContactInfo): StoredCapability | null {
  const m = info.mailbox
  if (m === undefined) return null
  try {
    return { relayAddrs: m.relayAddrs.map(addrFromBytes), queueId: toBase64url(m.queueId), token: toBase64url(m.token) }
  } catch {
    return null
  }
}

/** A display name that satisfies the RPC schema (1..64 UTF-8 bytes). */
export function cleanName (name: string | undefined, fallback: string): string {
  const n = (name ?? '').trim()
  if (n.length === 0) return fallback
  let out = ''
  for (const ch of n) {
    if (Buffer.byteLength(out + ch) > 64) break
    out += ch
  }
  return out
}

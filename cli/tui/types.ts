/**
 * The shapes the terminal UI reads from the node's JSON-RPC API (docs/API.md §Objects) and the minimal client
 * interface it needs. Owns nothing but these types; node/rpc/client.ts's RpcClient satisfies TuiClient as it is.
 */

export type MessageStatus = 'queued' | 'sent' | 'mailbox' | 'delivered' | 'read' | 'failed'
export type MessagePath = 'direct' | 'relayed' | 'mailbox'
export type ContactState = 'pending' | 'established' | 'rejected'
export type Reachability = 'public' | 'relayed' | 'private' | 'offline'

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

export interface Message {
  id: string
  with: string
  seq: number
  direction: 'in' | 'out'
  text: string
  sentAt: number
  receivedAt: number | null
  status: MessageStatus
  path: MessagePath | null
  failure?: string
}

export interface RelayStatus {
  peerId: string
  addresses: string[]
  reserved: boolean
}

export interface NodeStatus {
  locked: boolean
  initialised?: boolean
  peerId?: string | null
  name?: string | null
  fingerprint?: string | null
  online?: boolean
  peers?: number
  addresses?: string[]
  relays?: RelayStatus[]
  connections?: number
  reachability?: Reachability
  version?: string
  uptimeSeconds?: number
}

/** An event notification's params: {cursor, type, data}. */
export interface TuiEvent {
  cursor: number
  type: string
  data: unknown
}

/**
 * What the UI needs from a client: node/rpc/client.ts's RpcClient fits. Listeners: 'event' (TuiEvent), 'connect',
 * 'disconnect', 'reconnect'.
 */
export interface TuiClient {
  call: <R = unknown>(method: string, params?: Record<string, unknown>) => Promise<R>
  subscribe: (after?: number) => Promise<{ cursor: number }>
  on: (name: string, listener: (...args: any[]) => void) => unknown
  off: (name: string, listener: (...args: any[]) => void) => unknown
  close?: () => Promise<void>
}

/**
 * The method table: params and result schema of every method the node serves, and the objects they carry. This is the
 * single source of truth for docs/openrpc.json (scripts/gen-openrpc.ts) and for validation in dispatch.ts: a handler
 * can only be registered for a method listed here. Owns the contract's shapes; knows nothing of how methods work.
 */
import type { Components, MethodSpec, NotificationSpec, ObjectSchema, Schema } from './schema.js'

/** Longest display name (UTF-8 bytes; the wire limit of protocol/envelope MAX_NAME_BYTES). */
export const MAX_NAME_BYTES = 64
/** Longest passphrase accepted over RPC (UTF-8 bytes). */
export const MAX_PASSPHRASE_BYTES = 1024
/** Longest contact or message id (characters). */
export const MAX_ID_CHARS = 128
/** Longest invite string (characters). */
export const MAX_INVITE_CHARS = 8192
/**
 * Longest message text the schema lets through (characters). The node enforces the protocol's byte limit
 * (MAX_TEXT_BYTES) and answers MESSAGE_TOO_LARGE; this bound only keeps absurd params out.
 */
export const MAX_TEXT_CHARS = 65536
/** Longest idempotency key (characters). */
export const MAX_IDEMPOTENCY_KEY_CHARS = 128
/** Longest and default page of messages.list (messages). */
export const MAX_LIST_LIMIT = 500
export const DEFAULT_LIST_LIMIT = 50
/** Longest invite lifetime (seconds, 30 days). */
export const MAX_INVITE_EXPIRY_SECONDS = 30 * 24 * 3600
/** Largest sequence number, cursor or timestamp (JavaScript's safe integer limit). */
export const MAX_SAFE = Number.MAX_SAFE_INTEGER

const id: Schema = { type: 'string', minLength: 1, maxLength: MAX_ID_CHARS, description: 'Contact id.' }
const name: Schema = { type: 'string', minLength: 1, maxBytes: MAX_NAME_BYTES, description: 'Display name.' }
const seq: Schema = { type: 'integer', minimum: 0, maximum: MAX_SAFE }
const millis = (description: string, nullable = false): Schema => ({ type: 'integer', minimum: 0, maximum: MAX_SAFE, nullable, description })
const cursor: Schema = { type: 'integer', minimum: 0, maximum: MAX_SAFE, description: 'Position in the durable event log; 0 is before the first event.' }

export const MESSAGE_STATUSES = ['queued', 'sent', 'mailbox', 'delivered', 'read', 'failed'] as const
export const MESSAGE_PATHS = ['direct', 'relayed', 'mailbox'] as const
export const CONTACT_STATES = ['pending', 'established', 'rejected'] as const
export const EVENT_TYPES = ['message.received', 'message.status', 'contact.added', 'contact.updated', 'contact.presence', 'node.status'] as const
export type EventType = typeof EVENT_TYPES[number]

const obj = (properties: Record<string, Schema>, required: string[] = [], description?: string): ObjectSchema =>
  ({ type: 'object', properties, required, ...(description !== undefined ? { description } : {}) })

/** Named objects, referenced as { ref: 'Contact' } and emitted under #/components/schemas. */
export const COMPONENTS: Components = Object.freeze({
  Contact: obj({
    id,
    peerId: { type: 'string', minLength: 1, maxLength: 128, description: 'libp2p PeerId (base58btc).' },
    name,
    fingerprint: { type: 'string', maxLength: 256, description: 'Identity key fingerprint, grouped hex.' },
    state: { type: 'string', enum: CONTACT_STATES },
    verified: { type: 'boolean', description: 'The safety number was compared out of band.' },
    blocked: { type: 'boolean' },
    online: { type: 'boolean' },
    lastSeen: millis('Last time the contact was seen online (ms since epoch), null if never.', true),
    unread: { type: 'integer', minimum: 0, maximum: MAX_SAFE },
    createdAt: millis('ms since epoch.')
  }, ['id', 'peerId', 'name', 'fingerprint', 'state', 'verified', 'blocked', 'online', 'lastSeen', 'unread', 'createdAt'],
  'A contact as the node stores it.'),
  Message: obj({
    id: { type: 'string', minLength: 1, maxLength: MAX_ID_CHARS, description: 'Message id.' },
    with: id,
    seq: { ...seq, description: 'Position in the conversation, ascending.' } as Schema,
    direction: { type: 'string', enum: ['in', 'out'] },
    text: { type: 'string', maxLength: MAX_TEXT_CHARS },
    sentAt: millis('Sender clock (ms since epoch).'),
    receivedAt: millis('Local clock when received, null for outgoing (ms since epoch).', true),
    status: { type: 'string', enum: MESSAGE_STATUSES },
    path: { type: 'string', enum: MESSAGE_PATHS, nullable: true, description: 'How it travelled; null while queued.' },
    failure: { type: 'string', maxLength: 256, description: 'Why it failed (status failed only).' }
  }, ['id', 'with', 'seq', 'direction', 'text', 'sentAt', 'receivedAt', 'status', 'path'], 'A message in a conversation.'),
  NodeStatus: {
    ...obj({
      locked: { type: 'boolean' },
      initialised: { type: 'boolean', description: 'An identity exists (node.init was done).' },
      peerId: { type: 'string', maxLength: 128, nullable: true },
      name: { ...name, nullable: true } as Schema,
      online: { type: 'boolean', description: 'Connected to at least one relay or peer.' },
      peers: { type: 'integer', minimum: 0, maximum: MAX_SAFE },
      fingerprint: { type: 'string', maxLength: 128, nullable: true, description: 'This identity\'s fingerprint (PROTOCOL.md §2.3).' },
      addresses: { type: 'array', items: { type: 'string', maxLength: 1024 }, maxItems: 256 },
      relays: {
        type: 'array',
        maxItems: 64,
        description: 'The configured relays and whether this node holds a circuit relay reservation on each.',
        items: obj({
          peerId: { type: 'string', maxLength: 128 },
          addresses: { type: 'array', items: { type: 'string', maxLength: 1024 }, maxItems: 64 },
          reserved: { type: 'boolean' }
        }, ['peerId', 'addresses', 'reserved'])
      },
      connections: { type: 'integer', minimum: 0, maximum: MAX_SAFE, description: 'Open libp2p connections.' },
      reachability: {
        type: 'string',
        enum: ['public', 'relayed', 'private', 'offline'],
        description: 'public: a publicly routable direct address is announced; relayed: reachable through a relay ' +
          'reservation only; private: only private or loopback addresses and no reservation; offline: no connection.'
      },
      version: { type: 'string', maxLength: 64 },
      uptimeSeconds: { type: 'integer', minimum: 0, maximum: MAX_SAFE }
    }, ['locked'], 'Node state; a locked node answers only { locked: true, initialised }.')
  } as Schema,
  Event: obj({
    cursor,
    type: { type: 'string', enum: EVENT_TYPES },
    data: { type: 'object', properties: {}, additionalProperties: true, description: 'Per type: see the *Event components.' }
  }, ['cursor', 'type', 'data'], 'params of the "event" notification.'),
  MessageReceivedEvent: obj({ message: { ref: 'Message' } }, ['message'], 'data of message.received.'),
  MessageStatusEvent: obj({
    id: { type: 'string', maxLength: MAX_ID_CHARS },
    with: id,
    status: { type: 'string', enum: MESSAGE_STATUSES },
    path: { type: 'string', enum: MESSAGE_PATHS, nullable: true },
    failure: { type: 'string', maxLength: 256 }
  }, ['id', 'with', 'status'], 'data of message.status.'),
  ContactAddedEvent: obj({ contact: { ref: 'Contact' } }, ['contact'], 'data of contact.added.'),
  ContactUpdatedEvent: obj({ contact: { ref: 'Contact' } }, ['contact'], 'data of contact.updated.'),
  ContactPresenceEvent: obj({ id, online: { type: 'boolean' }, lastSeen: millis('ms since epoch, null if never.', true) },
    ['id', 'online', 'lastSeen'], 'data of contact.presence.'),
  NodeStatusEvent: obj({ status: { ref: 'NodeStatus' } }, ['status'], 'data of node.status.')
})

const none = obj({})
const contact: Schema = { ref: 'Contact' }
const ok = (key: string): Schema => obj({ [key]: { type: 'boolean' } }, [key])

/** Every method the node may serve. A test calls each on a live daemon; the server answers no other name. */
export const METHODS: readonly MethodSpec[] = Object.freeze([
  {
    name: 'auth',
    summary: 'Authenticate a TCP connection; must be the first call on it. A no-op on the Unix socket.',
    params: obj({ token: { type: 'string', minLength: 1, maxLength: 1024 } }, ['token']),
    result: ok('ok'),
    servedWhenLocked: true,
    errors: ['UNAUTHORIZED']
  },
  {
    name: 'rpc.discover',
    summary: 'This API\'s OpenRPC document (the same as docs/openrpc.json).',
    params: none,
    result: { type: 'any' },
    servedWhenLocked: true
  },
  {
    name: 'node.init',
    summary: 'First run: create the identity and the encrypted store, then unlock.',
    params: obj({
      name,
      passphrase: { type: 'string', minLength: 1, maxBytes: MAX_PASSPHRASE_BYTES },
      relays: {
        type: 'array',
        maxItems: 16,
        items: { type: 'string', minLength: 1, maxLength: 1024 },
        description: 'Relay multiaddrs ending in /p2p/<relay PeerId>, written to config.json and used at once.'
      }
    }, ['name', 'passphrase']),
    result: { ref: 'NodeStatus' },
    servedWhenLocked: true,
    errors: ['ALREADY_INITIALISED', 'INVALID_PARAMS']
  },
  {
    name: 'node.unlock',
    summary: 'Open the encrypted store with the passphrase.',
    params: obj({ passphrase: { type: 'string', minLength: 1, maxBytes: MAX_PASSPHRASE_BYTES } }, ['passphrase']),
    result: { ref: 'NodeStatus' },
    servedWhenLocked: true,
    errors: ['WRONG_PASSPHRASE', 'NOT_INITIALISED']
  },
  {
    name: 'node.status',
    summary: 'Node state. Locked: { locked: true, initialised }.',
    params: none,
    result: { ref: 'NodeStatus' },
    servedWhenLocked: true
  },
  {
    name: 'invite.create',
    summary: 'Create a one-time invite string to hand to a new contact.',
    params: obj({ expiresInSeconds: { type: 'integer', minimum: 60, maximum: MAX_INVITE_EXPIRY_SECONDS, description: 'Default 7 days.' } }),
    result: obj({ invite: { type: 'string', maxLength: MAX_INVITE_CHARS }, expiresAt: millis('ms since epoch.') }, ['invite', 'expiresAt']),
    errors: ['LOCKED', 'UNREACHABLE']
  },
  {
    name: 'contacts.add',
    summary: 'Accept an invite: creates a pending contact and starts the handshake.',
    params: obj({ invite: { type: 'string', minLength: 1, maxLength: MAX_INVITE_CHARS }, name }, ['invite']),
    result: contact,
    errors: ['BAD_INVITE', 'EXPIRED_INVITE', 'USED_INVITE', 'CONTACT_EXISTS', 'LOCKED']
  },
  {
    name: 'contacts.list',
    summary: 'All contacts, blocked ones included.',
    params: none,
    result: obj({ contacts: { type: 'array', items: contact } }, ['contacts']),
    errors: ['LOCKED']
  },
  { name: 'contacts.get', summary: 'One contact.', params: obj({ id }, ['id']), result: contact, errors: ['UNKNOWN_CONTACT', 'LOCKED'] },
  { name: 'contacts.rename', summary: 'Set the local display name.', params: obj({ id, name }, ['id', 'name']), result: contact, errors: ['UNKNOWN_CONTACT', 'LOCKED'] },
  { name: 'contacts.block', summary: 'Drop their messages and stop sending.', params: obj({ id }, ['id']), result: contact, errors: ['UNKNOWN_CONTACT', 'LOCKED'] },
  { name: 'contacts.unblock', summary: 'Undo contacts.block.', params: obj({ id }, ['id']), result: contact, errors: ['UNKNOWN_CONTACT', 'LOCKED'] },
  {
    name: 'contacts.remove',
    summary: 'Delete the contact, its session and its messages.',
    params: obj({ id }, ['id']),
    result: ok('removed'),
    errors: ['UNKNOWN_CONTACT', 'LOCKED']
  },
  {
    name: 'contacts.safetyNumber',
    summary: 'The safety number to compare out of band (PROTOCOL.md §2.4).',
    params: obj({ id }, ['id']),
    result: obj({ safetyNumber: { type: 'string', maxLength: 256 } }, ['safetyNumber']),
    errors: ['UNKNOWN_CONTACT', 'LOCKED']
  },
  { name: 'contacts.verify', summary: 'Mark the safety number as compared.', params: obj({ id }, ['id']), result: contact, errors: ['UNKNOWN_CONTACT', 'LOCKED'] },
  {
    name: 'messages.send',
    summary: 'Queue a text message; status changes arrive as message.status events.',
    params: obj({
      to: id,
      text: { type: 'string', minLength: 1, maxLength: MAX_TEXT_CHARS },
      idempotencyKey: { type: 'string', minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY_CHARS, description: 'A retried send with the same key returns the first message.' }
    }, ['to', 'text']),
    result: { ref: 'Message' },
    errors: ['UNKNOWN_CONTACT', 'BLOCKED', 'MESSAGE_TOO_LARGE', 'LOCKED']
  },
  {
    name: 'messages.list',
    summary: 'A page of a conversation, newest last; page back with before = the first seq returned.',
    params: obj({
      with: id,
      before: { ...seq, description: 'Only messages with seq < before.' } as Schema,
      limit: { type: 'integer', minimum: 1, maximum: MAX_LIST_LIMIT, description: `Default ${DEFAULT_LIST_LIMIT}.` }
    }, ['with']),
    result: obj({ messages: { type: 'array', items: { ref: 'Message' }, maxItems: MAX_LIST_LIMIT } }, ['messages']),
    errors: ['UNKNOWN_CONTACT', 'LOCKED']
  },
  {
    name: 'messages.markRead',
    summary: 'Mark incoming messages with seq <= upTo as read (sends read receipts).',
    params: obj({ with: id, upTo: seq }, ['with', 'upTo']),
    result: obj({ updated: { type: 'integer', minimum: 0, maximum: MAX_SAFE } }, ['updated']),
    errors: ['UNKNOWN_CONTACT', 'LOCKED']
  },
  {
    name: 'events.subscribe',
    summary: 'Receive "event" notifications: first every event after `after` from the durable log, then live ones.',
    description: 'Without `after`, only events appended from now on. The result cursor is where delivery starts (exclusive). ' +
      'A second subscribe on the same connection replaces the first.',
    params: obj({ after: cursor }),
    result: obj({ cursor }, ['cursor']),
    errors: ['LOCKED']
  },
  {
    name: 'events.unsubscribe',
    summary: 'Stop event notifications on this connection.',
    params: none,
    result: ok('ok')
  }
])

/** The one notification: params is an Event. */
export const NOTIFICATIONS: readonly NotificationSpec[] = Object.freeze([
  { name: 'event', summary: 'One event of the durable log, in cursor order, never twice per subscription.', params: { ref: 'Event' } }
])

export function methodSpec (method: string): MethodSpec | undefined {
  return METHOD_INDEX.get(method)
}

const METHOD_INDEX: ReadonlyMap<string, MethodSpec> = new Map(METHODS.map(m => [m.name, m]))

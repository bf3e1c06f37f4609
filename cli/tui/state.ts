/**
 * All state of the terminal UI in one pure reducer (STYLE.md principle 11): node events, call results and user intents
 * come in as actions, a new state comes out. Owns what is on screen; knows nothing of Ink, sockets or clocks: every
 * time it needs arrives inside an action.
 */
import type { Contact, Message, MessagePath, MessageStatus, NodeStatus, TuiEvent } from './types.js'

/** Messages asked for per messages.list page (the API's default page). */
export const PAGE_SIZE = 50

export type Screen = 'connecting' | 'setup' | 'unlock' | 'main'
export type Focus = 'contacts' | 'compose'
export type Connection = 'connecting' | 'online' | 'offline'

export type Overlay =
  | { kind: 'help' }
  | { kind: 'invite', invite: string | null, expiresAt: number | null, error: string | null }
  | { kind: 'add', text: string, error: string | null, busy: boolean }
  | { kind: 'verify', contactId: string, safetyNumber: string | null, error: string | null, busy: boolean }

export type OverlayKind = Overlay['kind']

/** First run: the fields in the order Tab walks them. */
export const SETUP_FIELDS = ['name', 'passphrase', 'confirm', 'relay'] as const
export type SetupField = typeof SETUP_FIELDS[number]

export interface SetupForm {
  name: string
  passphrase: string
  confirm: string
  relay: string
  field: SetupField
  error: string | null
  busy: boolean
}

export interface UnlockForm {
  passphrase: string
  error: string | null
  busy: boolean
}

export interface Conversation {
  /** Ascending seq, unique ids. */
  messages: Message[]
  loaded: boolean
  /** A full page came back last time: there may be older messages. */
  hasOlder: boolean
  loadingOlder: boolean
  /** Lines scrolled up from the newest (0: the newest message is at the bottom). */
  scroll: number
}

export interface TuiState {
  connection: Connection
  screen: Screen
  status: NodeStatus | null
  contacts: Contact[]
  selectedId: string | null
  conversations: Record<string, Conversation>
  focus: Focus
  compose: string
  overlay: Overlay | null
  setup: SetupForm
  unlock: UnlockForm
  /** One line of plain-words feedback under the conversation (a failed send, a lost connection...). */
  notice: string | null
  quit: boolean
}

export type Action =
  // node events (one per event type, docs/API.md §Events)
  | { type: 'message.received', message: Message }
  | { type: 'message.status', id: string, with: string, status: MessageStatus, path?: MessagePath | null, failure?: string }
  | { type: 'contact.added', contact: Contact }
  | { type: 'contact.updated', contact: Contact }
  | { type: 'contact.presence', id: string, online: boolean, lastSeen: number | null }
  | { type: 'node.status', status: NodeStatus }
  // the connection to the node
  | { type: 'connection', connection: Connection }
  // call results
  | { type: 'status.loaded', status: NodeStatus }
  | { type: 'contacts.loaded', contacts: Contact[] }
  | { type: 'messages.loaded', with: string, messages: Message[], before?: number, limit: number }
  | { type: 'messages.loadingOlder', with: string }
  | { type: 'send.accepted', message: Message }
  | { type: 'send.failed', with: string, text: string, error: string }
  | { type: 'markRead.done', with: string, upTo: number }
  | { type: 'init.failed', error: string }
  | { type: 'unlock.failed', error: string }
  | { type: 'invite.created', invite: string, expiresAt: number }
  | { type: 'invite.failed', error: string }
  | { type: 'add.submitted' }
  | { type: 'add.succeeded', contact: Contact }
  | { type: 'add.failed', error: string, contactId?: string }
  | { type: 'safety.loaded', id: string, safetyNumber: string }
  | { type: 'verify.submitted' }
  | { type: 'verify.failed', error: string }
  | { type: 'error', error: string }
  // user intents
  | { type: 'focus', focus: Focus }
  | { type: 'focus.toggle' }
  | { type: 'select', id: string }
  | { type: 'select.move', delta: number }
  | { type: 'compose.set', text: string }
  | { type: 'scroll', delta: number, max: number }
  | { type: 'overlay.open', overlay: OverlayKind, contactId?: string }
  | { type: 'overlay.close' }
  | { type: 'add.edit', text: string }
  | { type: 'setup.edit', value: string }
  | { type: 'setup.field', delta: number }
  | { type: 'setup.submit' }
  | { type: 'unlock.edit', value: string }
  | { type: 'unlock.submit' }
  | { type: 'notice.clear' }
  | { type: 'quit' }

export function emptySetup (): SetupForm {
  return { name: '', passphrase: '', confirm: '', relay: '', field: 'name', error: null, busy: false }
}

export function initialState (): TuiState {
  return {
    connection: 'connecting',
    screen: 'connecting',
    status: null,
    contacts: [],
    selectedId: null,
    conversations: {},
    focus: 'contacts',
    compose: '',
    overlay: null,
    setup: emptySetup(),
    unlock: { passphrase: '', error: null, busy: false },
    notice: null,
    quit: false
  }
}

/** The screen a node status asks for: locked and new → setup, locked → unlock, else main. */
export function screenFor (status: NodeStatus): Screen {
  if (!status.locked) return 'main'
  return status.initialised === false ? 'setup' : 'unlock'
}

/** Why the first-run form cannot be sent yet, in plain words; null when it can. */
export function setupProblem (form: SetupForm): string | null {
  if (form.name.trim() === '') return 'Choose a display name.'
  if (Buffer.byteLength(form.name.trim(), 'utf8') > 64) return 'That name is too long (at most 64 bytes).'
  if (form.passphrase === '') return 'Choose a passphrase.'
  if (form.passphrase !== form.confirm) return 'The two passphrases differ. Type them again.'
  const relay = form.relay.trim()
  if (relay !== '' && !relay.startsWith('/')) return 'A relay address is a multiaddr starting with / (e.g. /dns4/relay.example/tcp/4001/p2p/12D3…).'
  return null
}

/** Map a node event to its action; undefined for a type this UI does not know (ignored). */
export function eventToAction (e: TuiEvent): Action | undefined {
  const d = (e.data ?? {}) as Record<string, any>
  switch (e.type) {
    case 'message.received': return { type: 'message.received', message: d.message }
    case 'message.status': return { type: 'message.status', id: d.id, with: d.with, status: d.status, path: d.path, failure: d.failure }
    case 'contact.added': return { type: 'contact.added', contact: d.contact }
    case 'contact.updated': return { type: 'contact.updated', contact: d.contact }
    case 'contact.presence': return { type: 'contact.presence', id: d.id, online: d.online, lastSeen: d.lastSeen ?? null }
    case 'node.status': return { type: 'node.status', status: d.status }
    default: return undefined
  }
}

/** The contact a conversation is open with, if any. */
export function selectedContact (s: TuiState): Contact | undefined {
  return s.contacts.find(c => c.id === s.selectedId)
}

/** Is the selected conversation on screen (main screen, no overlay)? */
export function conversationVisible (s: TuiState): boolean {
  return s.screen === 'main' && s.overlay === null && s.selectedId !== null
}

export function reduce (s: TuiState, a: Action): TuiState {
  switch (a.type) {
    case 'message.received': {
      const m = a.message
      const visible = conversationVisible(s) && s.selectedId === m.with
      const contacts = m.direction === 'in' && !visible
        ? s.contacts.map(c => c.id === m.with ? { ...c, unread: c.unread + 1 } : c)
        : s.contacts
      return { ...s, contacts, conversations: upsertMessages(s.conversations, m.with, [m]) }
    }
    case 'message.status': {
      const conv = s.conversations[a.with]
      if (conv === undefined || !conv.messages.some(m => m.id === a.id)) return s
      const messages = conv.messages.map(m => {
        if (m.id !== a.id) return m
        const next: Message = { ...m, status: a.status }
        if (a.path !== undefined) next.path = a.path
        if (a.failure !== undefined) next.failure = a.failure
        else if (a.status !== 'failed') delete next.failure
        return next
      })
      return { ...s, conversations: { ...s.conversations, [a.with]: { ...conv, messages } } }
    }
    case 'contact.added':
    case 'contact.updated': {
      const contacts = upsertContact(s.contacts, a.contact)
      return { ...s, contacts, selectedId: s.selectedId ?? a.contact.id }
    }
    case 'contact.presence':
      return { ...s, contacts: s.contacts.map(c => c.id === a.id ? { ...c, online: a.online, lastSeen: a.lastSeen } : c) }
    case 'node.status':
    case 'status.loaded': {
      const screen = screenFor(a.status)
      const next: TuiState = { ...s, status: a.status, screen, connection: 'online' }
      if (screen !== s.screen) {
        next.setup = { ...s.setup, busy: false }
        next.unlock = { passphrase: '', error: null, busy: false }
        if (screen === 'main') next.setup = emptySetup() // drop the typed passphrases
      }
      return next
    }
    case 'connection':
      return {
        ...s,
        connection: a.connection,
        notice: a.connection === 'offline' ? 'Lost the connection to the node; reconnecting…' : (s.connection === 'offline' ? null : s.notice)
      }
    case 'contacts.loaded': {
      const contacts = sortContacts(a.contacts)
      const keep = s.selectedId !== null && contacts.some(c => c.id === s.selectedId)
      return { ...s, contacts, selectedId: keep ? s.selectedId : (contacts[0]?.id ?? null) }
    }
    case 'messages.loaded': {
      const prev = s.conversations[a.with] ?? emptyConversation()
      const messages = mergeMessages(prev.messages, a.messages)
      const scroll = a.before === undefined ? 0 : prev.scroll
      return {
        ...s,
        conversations: {
          ...s.conversations,
          [a.with]: { ...prev, messages, loaded: true, hasOlder: a.messages.length >= a.limit, loadingOlder: false, scroll }
        }
      }
    }
    case 'messages.loadingOlder': {
      const conv = s.conversations[a.with]
      if (conv === undefined) return s
      return { ...s, conversations: { ...s.conversations, [a.with]: { ...conv, loadingOlder: true } } }
    }
    case 'send.accepted':
      return { ...s, conversations: upsertMessages(s.conversations, a.message.with, [a.message]) }
    case 'send.failed':
      return { ...s, notice: `Not sent: ${a.error}`, compose: s.compose === '' ? a.text : s.compose }
    case 'markRead.done': {
      const conv = s.conversations[a.with]
      const contacts = s.contacts.map(c => c.id === a.with ? { ...c, unread: 0 } : c)
      if (conv === undefined) return { ...s, contacts }
      const messages = conv.messages.map(m => m.direction === 'in' && m.seq <= a.upTo && m.status !== 'read' ? { ...m, status: 'read' as const } : m)
      return { ...s, contacts, conversations: { ...s.conversations, [a.with]: { ...conv, messages } } }
    }
    case 'init.failed':
      return { ...s, setup: { ...s.setup, busy: false, error: a.error } }
    case 'unlock.failed':
      return { ...s, unlock: { passphrase: '', busy: false, error: a.error } }
    case 'invite.created':
      return s.overlay?.kind === 'invite' ? { ...s, overlay: { ...s.overlay, invite: a.invite, expiresAt: a.expiresAt, error: null } } : s
    case 'invite.failed':
      return s.overlay?.kind === 'invite' ? { ...s, overlay: { ...s.overlay, error: a.error } } : s
    case 'add.submitted':
      return s.overlay?.kind === 'add' ? { ...s, overlay: { ...s.overlay, busy: true, error: null } } : s
    case 'add.succeeded': {
      const contacts = upsertContact(s.contacts, a.contact)
      return { ...s, contacts, selectedId: a.contact.id, overlay: null, focus: 'compose', notice: `Added ${a.contact.name}: waiting for them to answer.` }
    }
    case 'add.failed': {
      if (a.contactId !== undefined && s.contacts.some(c => c.id === a.contactId)) {
        return { ...s, overlay: null, selectedId: a.contactId, focus: 'compose', notice: a.error }
      }
      return s.overlay?.kind === 'add' ? { ...s, overlay: { ...s.overlay, busy: false, error: a.error } } : s
    }
    case 'safety.loaded':
      return s.overlay?.kind === 'verify' && s.overlay.contactId === a.id
        ? { ...s, overlay: { ...s.overlay, safetyNumber: a.safetyNumber, error: null } }
        : s
    case 'verify.submitted':
      return s.overlay?.kind === 'verify' ? { ...s, overlay: { ...s.overlay, busy: true } } : s
    case 'verify.failed':
      return s.overlay?.kind === 'verify' ? { ...s, overlay: { ...s.overlay, busy: false, error: a.error } } : s
    case 'error':
      return { ...s, notice: a.error }
    case 'focus':
      return { ...s, focus: a.focus }
    case 'focus.toggle':
      return { ...s, focus: s.focus === 'contacts' ? 'compose' : 'contacts' }
    case 'select':
      return s.contacts.some(c => c.id === a.id) ? { ...s, selectedId: a.id } : s
    case 'select.move': {
      if (s.contacts.length === 0) return s
      const i = s.contacts.findIndex(c => c.id === s.selectedId)
      const j = Math.max(0, Math.min(s.contacts.length - 1, (i < 0 ? 0 : i) + a.delta))
      return { ...s, selectedId: s.contacts[j].id }
    }
    case 'compose.set':
      return { ...s, compose: a.text, notice: a.text === '' ? s.notice : null }
    case 'scroll': {
      if (s.selectedId === null) return s
      const conv = s.conversations[s.selectedId]
      if (conv === undefined) return s
      const scroll = Math.max(0, Math.min(Math.max(0, a.max), conv.scroll + a.delta))
      return scroll === conv.scroll ? s : { ...s, conversations: { ...s.conversations, [s.selectedId]: { ...conv, scroll } } }
    }
    case 'overlay.open':
      return { ...s, overlay: openOverlay(s, a.overlay, a.contactId) ?? s.overlay }
    case 'overlay.close':
      return s.overlay === null ? s : { ...s, overlay: null }
    case 'add.edit':
      return s.overlay?.kind === 'add' && !s.overlay.busy ? { ...s, overlay: { ...s.overlay, text: a.text, error: null } } : s
    case 'setup.edit':
      return s.setup.busy ? s : { ...s, setup: { ...s.setup, [s.setup.field]: a.value, error: null } }
    case 'setup.field': {
      const i = SETUP_FIELDS.indexOf(s.setup.field)
      const j = Math.max(0, Math.min(SETUP_FIELDS.length - 1, i + a.delta))
      return { ...s, setup: { ...s.setup, field: SETUP_FIELDS[j] } }
    }
    case 'setup.submit': {
      if (s.setup.busy) return s
      const problem = setupProblem(s.setup)
      if (problem !== null) {
        const field: SetupField = problem.startsWith('The two') ? 'confirm' : s.setup.field
        return { ...s, setup: { ...s.setup, error: problem, field, ...(field === 'confirm' ? { confirm: '' } : {}) } }
      }
      return { ...s, setup: { ...s.setup, busy: true, error: null } }
    }
    case 'unlock.edit':
      return s.unlock.busy ? s : { ...s, unlock: { ...s.unlock, passphrase: a.value, error: null } }
    case 'unlock.submit':
      if (s.unlock.busy) return s
      if (s.unlock.passphrase === '') return { ...s, unlock: { ...s.unlock, error: 'Type your passphrase, then Enter.' } }
      return { ...s, unlock: { ...s.unlock, busy: true, error: null } }
    case 'notice.clear':
      return s.notice === null ? s : { ...s, notice: null }
    case 'quit':
      return { ...s, quit: true }
  }
}

function openOverlay (s: TuiState, kind: OverlayKind, contactId?: string): Overlay | null {
  if (s.screen !== 'main') return null
  switch (kind) {
    case 'help': return { kind: 'help' }
    case 'invite': return { kind: 'invite', invite: null, expiresAt: null, error: null }
    case 'add': return { kind: 'add', text: '', error: null, busy: false }
    case 'verify': {
      const id = contactId ?? s.selectedId
      if (id === null || !s.contacts.some(c => c.id === id)) return null
      return { kind: 'verify', contactId: id, safetyNumber: null, error: null, busy: false }
    }
  }
}

function emptyConversation (): Conversation {
  return { messages: [], loaded: false, hasOlder: false, loadingOlder: false, scroll: 0 }
}

/** Merge two ascending lists by id (the later copy wins), keeping seq order. */
function mergeMessages (a: Message[], b: Message[]): Message[] {
  if (b.length === 0) return a
  const byId = new Map<string, Message>()
  for (const m of a) byId.set(m.id, m)
  for (const m of b) byId.set(m.id, m)
  return [...byId.values()].sort((x, y) => x.seq - y.seq)
}

/** Add or replace messages of a loaded conversation; an unloaded one is left for messages.list to fetch. */
function upsertMessages (convs: Record<string, Conversation>, withId: string, ms: Message[]): Record<string, Conversation> {
  const conv = convs[withId]
  if (conv === undefined || !conv.loaded) return convs
  return { ...convs, [withId]: { ...conv, messages: mergeMessages(conv.messages, ms) } }
}

function upsertContact (contacts: Contact[], c: Contact): Contact[] {
  const i = contacts.findIndex(x => x.id === c.id)
  if (i < 0) return sortContacts([...contacts, c])
  const next = contacts.slice()
  next[i] = c
  return next
}

/** Contacts in the order the node created them (stable while presence and unread counts change). */
function sortContacts (cs: Contact[]): Contact[] {
  return cs.slice().sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
}

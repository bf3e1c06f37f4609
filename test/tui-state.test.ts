/**
 * The terminal UI's reducer (cli/tui/state.ts), pure: every event type and every action, on frozen states so that a
 * mutation throws. No Ink.
 */
import t from 'tap'
import {
  PAGE_SIZE, conversationVisible, emptySetup, eventToAction, initialState, reduce, screenFor, selectedContact, setupProblem,
  type Action, type TuiState
} from '../cli/tui/state.js'
import { cleanInvite, conversationLines, explainError, safetyGroups, shortFingerprint, wrapText } from '../cli/tui/format.js'
import type { Contact, Message, NodeStatus } from '../cli/tui/types.js'

function deepFreeze<T> (x: T): T {
  if (x !== null && typeof x === 'object' && !Object.isFrozen(x)) {
    Object.freeze(x)
    for (const v of Object.values(x)) deepFreeze(v)
  }
  return x
}

/** Reduce on a frozen copy: the reducer must never mutate its input. */
const run = (s: TuiState, ...actions: Action[]): TuiState => actions.reduce((acc, a) => reduce(deepFreeze(acc), a), s)

const STATUS: NodeStatus = { locked: false, initialised: true, name: 'Ada', fingerprint: 'aa', relays: [], connections: 1, reachability: 'public' }

const contact = (id: string, extra: Partial<Contact> = {}): Contact => ({
  id, peerId: `P${id}`, name: id.toUpperCase(), fingerprint: 'ff', state: 'established', verified: false, blocked: false,
  online: false, lastSeen: null, unread: 0, createdAt: id.charCodeAt(0), ...extra
})

const msg = (seq: number, extra: Partial<Message> = {}): Message => ({
  id: `m${seq}`, with: 'b', seq, direction: 'in', text: `t${seq}`, sentAt: seq, receivedAt: seq, status: 'delivered', path: 'direct', ...extra
})

/** Unlocked, contacts b and c, b selected with a loaded conversation of m1..m3. */
function ready (): TuiState {
  return run(initialState(),
    { type: 'status.loaded', status: STATUS },
    { type: 'contacts.loaded', contacts: [contact('c'), contact('b')] },
    { type: 'messages.loaded', with: 'b', messages: [msg(1), msg(2), msg(3, { direction: 'out', status: 'sent' })], limit: PAGE_SIZE })
}

t.test('initial state and the screen a status asks for', async t => {
  const s = initialState()
  t.equal(s.screen, 'connecting')
  t.equal(s.connection, 'connecting')
  t.equal(screenFor({ locked: true, initialised: false }), 'setup')
  t.equal(screenFor({ locked: true, initialised: true }), 'unlock')
  t.equal(screenFor({ locked: true }), 'unlock', 'unknown initialised: unlock (node.unlock says NOT_INITIALISED if not)')
  t.equal(screenFor(STATUS), 'main')
})

t.test('eventToAction: one action per event type, unknown types ignored', async t => {
  const m = msg(1)
  const c = contact('b')
  t.same(eventToAction({ cursor: 1, type: 'message.received', data: { message: m } }), { type: 'message.received', message: m })
  t.same(eventToAction({ cursor: 2, type: 'message.status', data: { id: 'm1', with: 'b', status: 'read', path: 'direct' } }),
    { type: 'message.status', id: 'm1', with: 'b', status: 'read', path: 'direct', failure: undefined })
  t.same(eventToAction({ cursor: 3, type: 'contact.added', data: { contact: c } }), { type: 'contact.added', contact: c })
  t.same(eventToAction({ cursor: 4, type: 'contact.updated', data: { contact: c } }), { type: 'contact.updated', contact: c })
  t.same(eventToAction({ cursor: 5, type: 'contact.presence', data: { id: 'b', online: true, lastSeen: 9 } }), { type: 'contact.presence', id: 'b', online: true, lastSeen: 9 })
  t.same(eventToAction({ cursor: 6, type: 'node.status', data: { status: STATUS } }), { type: 'node.status', status: STATUS })
  t.equal(eventToAction({ cursor: 7, type: 'something.new', data: {} }), undefined)
})

t.test('message.received: appended in seq order, once; unread counted only when not on screen', async t => {
  let s = ready()
  s = run(s, { type: 'message.received', message: msg(5) }, { type: 'message.received', message: msg(4) }, { type: 'message.received', message: msg(5) })
  t.same(s.conversations.b.messages.map(m => m.seq), [1, 2, 3, 4, 5], 'sorted, duplicates dropped')
  t.equal(selectedContact(s)?.unread, 0, 'visible conversation: the mark-read effect handles it')
  s = run(s, { type: 'message.received', message: msg(1, { id: 'x1', with: 'c' }) })
  t.equal(s.contacts.find(c => c.id === 'c')?.unread, 1, 'another conversation: unread + 1')
  t.equal(s.conversations.c, undefined, 'an unloaded conversation is left for messages.list')
  s = run(s, { type: 'overlay.open', overlay: 'help' }, { type: 'message.received', message: msg(6) })
  t.equal(selectedContact(s)?.unread, 1, 'under an overlay the conversation is not visible')
  s = run(s, { type: 'message.received', message: msg(7, { direction: 'out' }) })
  t.equal(selectedContact(s)?.unread, 1, 'own messages are never unread')
})

t.test('message.status: status, path and failure of a known message', async t => {
  let s = run(ready(), { type: 'message.status', id: 'm3', with: 'b', status: 'failed', path: null, failure: 'unreachable' })
  t.match(s.conversations.b.messages[2], { status: 'failed', path: null, failure: 'unreachable' })
  s = run(s, { type: 'message.status', id: 'm3', with: 'b', status: 'delivered', path: 'relayed' })
  t.match(s.conversations.b.messages[2], { status: 'delivered', path: 'relayed' })
  t.notOk('failure' in s.conversations.b.messages[2], 'failure cleared on recovery')
  const before = s
  t.equal(run(s, { type: 'message.status', id: 'nope', with: 'b', status: 'read' }), before, 'unknown message: same state')
  t.equal(run(s, { type: 'message.status', id: 'm1', with: 'zz', status: 'read' }), before, 'unknown conversation: same state')
})

t.test('contact.added and contact.updated: upsert, creation order, first contact selected', async t => {
  let s = run(initialState(), { type: 'status.loaded', status: STATUS }, { type: 'contacts.loaded', contacts: [] })
  t.equal(s.selectedId, null)
  s = run(s, { type: 'contact.added', contact: contact('d') })
  t.equal(s.selectedId, 'd', 'the first contact is selected')
  s = run(s, { type: 'contact.added', contact: contact('a') })
  t.same(s.contacts.map(c => c.id), ['a', 'd'], 'creation order')
  t.equal(s.selectedId, 'd', 'selection kept')
  s = run(s, { type: 'contact.updated', contact: contact('a', { verified: true, state: 'established', name: 'Alice' }) })
  t.match(s.contacts[0], { id: 'a', verified: true, name: 'Alice' })
  t.equal(s.contacts.length, 2)
})

t.test('contact.presence', async t => {
  const s = run(ready(), { type: 'contact.presence', id: 'c', online: true, lastSeen: 42 })
  t.match(s.contacts.find(c => c.id === 'c'), { online: true, lastSeen: 42 })
  t.match(s.contacts.find(c => c.id === 'b'), { online: false })
})

t.test('node.status and status.loaded: the screen follows the lock state', async t => {
  let s = run(initialState(), { type: 'node.status', status: { locked: true, initialised: false } })
  t.equal(s.screen, 'setup')
  s = run(s, { type: 'setup.edit', value: 'Ada' }, { type: 'setup.field', delta: 1 }, { type: 'setup.edit', value: 'pw' })
  s = run(s, { type: 'status.loaded', status: STATUS })
  t.equal(s.screen, 'main')
  t.same(s.setup, emptySetup(), 'typed passphrases dropped once unlocked')
  s = run(s, { type: 'node.status', status: { ...STATUS, connections: 5 } })
  t.equal(s.status?.connections, 5)
  t.equal(s.connection, 'online')
})

t.test('connection: offline shows a notice, coming back clears it', async t => {
  let s = run(ready(), { type: 'connection', connection: 'offline' })
  t.equal(s.connection, 'offline')
  t.match(s.notice, /Lost the connection/)
  s = run(s, { type: 'connection', connection: 'online' })
  t.equal(s.notice, null)
})

t.test('contacts.loaded keeps a valid selection, else picks the first', async t => {
  let s = ready()
  t.equal(s.selectedId, 'b', 'first by creation order')
  s = run(s, { type: 'select', id: 'c' }, { type: 'contacts.loaded', contacts: [contact('b'), contact('c')] })
  t.equal(s.selectedId, 'c')
  s = run(s, { type: 'contacts.loaded', contacts: [contact('b')] })
  t.equal(s.selectedId, 'b')
})

t.test('messages.loaded and messages.loadingOlder: pages merge, hasOlder from a full page, scroll kept on older pages', async t => {
  let s = ready()
  t.match(s.conversations.b, { loaded: true, hasOlder: false, loadingOlder: false, scroll: 0 })
  const full = Array.from({ length: 3 }, (_, i) => msg(10 + i))
  s = run(s, { type: 'messages.loaded', with: 'b', messages: full, limit: 3 })
  t.equal(s.conversations.b.hasOlder, true)
  s = run(s, { type: 'scroll', delta: 4, max: 10 }, { type: 'messages.loadingOlder', with: 'b' })
  t.equal(s.conversations.b.loadingOlder, true)
  s = run(s, { type: 'messages.loaded', with: 'b', messages: [msg(0)], before: 1, limit: 3 })
  t.same(s.conversations.b.messages.map(m => m.seq), [0, 1, 2, 3, 10, 11, 12])
  t.match(s.conversations.b, { hasOlder: false, loadingOlder: false, scroll: 4 })
  t.equal(run(s, { type: 'messages.loadingOlder', with: 'zz' }), s, 'unknown conversation: same state')
})

t.test('send.accepted and send.failed', async t => {
  let s = run(ready(), { type: 'send.accepted', message: msg(4, { direction: 'out', status: 'queued', path: null }) })
  t.equal(s.conversations.b.messages.at(-1)?.status, 'queued')
  s = run(s, { type: 'send.failed', with: 'b', text: 'hello', error: 'The message is too long.' })
  t.equal(s.notice, 'Not sent: The message is too long.')
  t.equal(s.compose, 'hello', 'the text comes back to the compose line')
  s = run(s, { type: 'compose.set', text: 'new' }, { type: 'send.failed', with: 'b', text: 'old', error: 'x' })
  t.equal(s.compose, 'new', 'never overwrites what is being typed')
})

t.test('markRead.done: incoming up to seq read, unread cleared', async t => {
  let s = run(ready(), { type: 'message.received', message: msg(4, { with: 'b' }) })
  s = run(s, { type: 'contact.updated', contact: contact('b', { unread: 3 }) }, { type: 'markRead.done', with: 'b', upTo: 2 })
  t.same(s.conversations.b.messages.map(m => m.status), ['read', 'read', 'sent', 'delivered'])
  t.equal(selectedContact(s)?.unread, 0)
  s = run(s, { type: 'markRead.done', with: 'c', upTo: 9 })
  t.equal(s.contacts.find(c => c.id === 'c')?.unread, 0, 'an unloaded conversation: only the count')
})

t.test('setup.edit, setup.field, setup.submit and init.failed', async t => {
  let s = run(initialState(), { type: 'status.loaded', status: { locked: true, initialised: false } })
  s = run(s, { type: 'setup.submit' })
  t.equal(s.setup.error, 'Choose a display name.')
  t.equal(s.setup.busy, false)
  s = run(s, { type: 'setup.edit', value: 'Ada' })
  t.equal(s.setup.error, null, 'typing clears the error')
  s = run(s, { type: 'setup.field', delta: 1 }, { type: 'setup.edit', value: 'pw1' }, { type: 'setup.field', delta: 1 }, { type: 'setup.edit', value: 'pw2' })
  t.equal(s.setup.field, 'confirm')
  s = run(s, { type: 'setup.submit' })
  t.match(s.setup, { error: 'The two passphrases differ. Type them again.', field: 'confirm', confirm: '', busy: false })
  s = run(s, { type: 'setup.edit', value: 'pw1' }, { type: 'setup.field', delta: 5 })
  t.equal(s.setup.field, 'relay', 'clamped at the last field')
  s = run(s, { type: 'setup.edit', value: 'relay.example' }, { type: 'setup.submit' })
  t.match(s.setup.error, /multiaddr/)
  s = run(s, { type: 'setup.edit', value: '/dns4/relay.example/tcp/4001' }, { type: 'setup.field', delta: -9 })
  t.equal(s.setup.field, 'name')
  s = run(s, { type: 'setup.submit' })
  t.match(s.setup, { busy: true, error: null })
  t.equal(run(s, { type: 'setup.edit', value: 'x' }), s, 'no edits while busy')
  t.equal(run(s, { type: 'setup.submit' }), s, 'no double submit')
  s = run(s, { type: 'init.failed', error: 'This node already has an identity: unlock it instead.' })
  t.match(s.setup, { busy: false, error: 'This node already has an identity: unlock it instead.' })
  t.equal(setupProblem({ ...emptySetup(), name: 'x'.repeat(65), passphrase: 'a', confirm: 'a' }), 'That name is too long (at most 64 bytes).')
})

t.test('unlock.edit, unlock.submit and unlock.failed', async t => {
  let s = run(initialState(), { type: 'status.loaded', status: { locked: true, initialised: true } })
  t.equal(s.screen, 'unlock')
  s = run(s, { type: 'unlock.submit' })
  t.match(s.unlock, { busy: false, error: 'Type your passphrase, then Enter.' })
  s = run(s, { type: 'unlock.edit', value: 'pw' }, { type: 'unlock.submit' })
  t.match(s.unlock, { busy: true, error: null, passphrase: 'pw' })
  t.equal(run(s, { type: 'unlock.submit' }), s)
  s = run(s, { type: 'unlock.failed', error: 'Wrong passphrase. Try again.' })
  t.same(s.unlock, { passphrase: '', busy: false, error: 'Wrong passphrase. Try again.' })
  t.equal(s.screen, 'unlock', 'stays on the unlock screen')
})

t.test('overlay.open and overlay.close; nothing opens before the main screen', async t => {
  t.equal(run(initialState(), { type: 'overlay.open', overlay: 'help' }).overlay, null)
  let s = run(ready(), { type: 'overlay.open', overlay: 'help' })
  t.same(s.overlay, { kind: 'help' })
  t.notOk(conversationVisible(s))
  s = run(s, { type: 'overlay.close' })
  t.equal(s.overlay, null)
  t.equal(run(s, { type: 'overlay.close' }), s)
  t.same(run(s, { type: 'overlay.open', overlay: 'invite' }).overlay, { kind: 'invite', invite: null, expiresAt: null, error: null })
  t.same(run(s, { type: 'overlay.open', overlay: 'add' }).overlay, { kind: 'add', text: '', error: null, busy: false })
  t.same(run(s, { type: 'overlay.open', overlay: 'verify' }).overlay, { kind: 'verify', contactId: 'b', safetyNumber: null, error: null, busy: false })
  t.equal(run(s, { type: 'overlay.open', overlay: 'verify', contactId: 'zz' }).overlay, null, 'no verify for an unknown contact')
})

t.test('invite.created and invite.failed', async t => {
  let s = run(ready(), { type: 'overlay.open', overlay: 'invite' }, { type: 'invite.created', invite: 'tern:x', expiresAt: 5 })
  t.same(s.overlay, { kind: 'invite', invite: 'tern:x', expiresAt: 5, error: null })
  s = run(s, { type: 'invite.failed', error: 'The node is locked.' })
  t.match(s.overlay, { error: 'The node is locked.' })
  const closed = run(s, { type: 'overlay.close' })
  t.equal(run(closed, { type: 'invite.created', invite: 'tern:y', expiresAt: 1 }), closed, 'a late answer after Esc is dropped')
  t.equal(run(closed, { type: 'invite.failed', error: 'x' }), closed)
})

t.test('add.edit, add.submitted, add.failed and add.succeeded', async t => {
  let s = run(ready(), { type: 'overlay.open', overlay: 'add' }, { type: 'add.edit', text: 'tern:abc' })
  t.match(s.overlay, { text: 'tern:abc' })
  s = run(s, { type: 'add.submitted' })
  t.match(s.overlay, { busy: true })
  t.equal(run(s, { type: 'add.edit', text: 'x' }), s, 'no edits while busy')
  s = run(s, { type: 'add.failed', error: 'This invite has expired.' })
  t.match(s.overlay, { kind: 'add', busy: false, error: 'This invite has expired.' })
  const exists = run(s, { type: 'add.failed', error: 'C is already a contact.', contactId: 'c' })
  t.match(exists, { overlay: null, selectedId: 'c', focus: 'compose', notice: 'C is already a contact.' }, 'CONTACT_EXISTS jumps to the contact')
  s = run(s, { type: 'add.succeeded', contact: contact('f', { state: 'pending', name: 'Frank' }) })
  t.match(s, { overlay: null, selectedId: 'f', focus: 'compose' })
  t.match(s.notice, /Added Frank/)
  t.equal(s.contacts.length, 3)
  t.equal(run(ready(), { type: 'add.submitted' }).overlay, null, 'ignored without the add screen')
})

t.test('safety.loaded, verify.submitted and verify.failed', async t => {
  let s = run(ready(), { type: 'overlay.open', overlay: 'verify' })
  t.equal(run(s, { type: 'safety.loaded', id: 'c', safetyNumber: '1' }), s, 'another contact\'s number is dropped')
  s = run(s, { type: 'safety.loaded', id: 'b', safetyNumber: '12345' })
  t.match(s.overlay, { safetyNumber: '12345' })
  s = run(s, { type: 'verify.submitted' })
  t.match(s.overlay, { busy: true })
  s = run(s, { type: 'verify.failed', error: 'That contact no longer exists.' })
  t.match(s.overlay, { busy: false, error: 'That contact no longer exists.' })
})

t.test('error and notice.clear', async t => {
  let s = run(ready(), { type: 'error', error: 'The node did not answer.' })
  t.equal(s.notice, 'The node did not answer.')
  s = run(s, { type: 'notice.clear' })
  t.equal(s.notice, null)
  t.equal(run(s, { type: 'notice.clear' }), s)
})

t.test('focus, focus.toggle, select, select.move', async t => {
  let s = ready()
  t.equal(s.focus, 'contacts')
  s = run(s, { type: 'focus.toggle' })
  t.equal(s.focus, 'compose')
  s = run(s, { type: 'focus', focus: 'contacts' })
  t.equal(s.focus, 'contacts')
  s = run(s, { type: 'select', id: 'c' })
  t.equal(s.selectedId, 'c')
  t.equal(run(s, { type: 'select', id: 'zz' }), s, 'unknown id ignored')
  s = run(s, { type: 'select.move', delta: 1 })
  t.equal(s.selectedId, 'c', 'clamped at the end')
  s = run(s, { type: 'select.move', delta: -5 })
  t.equal(s.selectedId, 'b', 'clamped at the start')
  const none = run(initialState(), { type: 'select.move', delta: 1 })
  t.equal(none.selectedId, null)
})

t.test('compose.set clears a stale notice once typing starts', async t => {
  let s = run(ready(), { type: 'error', error: 'x' }, { type: 'compose.set', text: '' })
  t.equal(s.notice, 'x')
  s = run(s, { type: 'compose.set', text: 'h' })
  t.match(s, { compose: 'h', notice: null })
})

t.test('scroll: clamped between 0 and max', async t => {
  let s = run(ready(), { type: 'scroll', delta: 5, max: 3 })
  t.equal(s.conversations.b.scroll, 3)
  s = run(s, { type: 'scroll', delta: -10, max: 3 })
  t.equal(s.conversations.b.scroll, 0)
  t.equal(run(s, { type: 'scroll', delta: -1, max: 3 }), s, 'no change: same state')
  const noConv = run(s, { type: 'select', id: 'c' })
  t.equal(run(noConv, { type: 'scroll', delta: 1, max: 3 }), noConv)
})

t.test('quit', async t => {
  t.equal(run(ready(), { type: 'quit' }).quit, true)
})

t.test('format: plain words by error code, safety groups, wrapping, day separators', async t => {
  const e = (code: number): Error => Object.assign(new Error('x'), { code })
  t.match(explainError(e(-32020), 'add'), /^This invite is damaged or incomplete\./)
  t.match(explainError(e(-32021), 'add'), /^This invite has expired\./)
  t.match(explainError(e(-32022), 'add'), /^This invite was already used\./)
  t.match(explainError(e(-32023), 'add'), /already a contact/)
  t.equal(explainError(e(-32002), 'unlock'), 'Wrong passphrase. Try again.')
  t.match(explainError(e(-32602), 'add'), /does not look like an invite/)
  t.match(explainError(Object.assign(new Error('x'), { code: 'ERR_RPC_CONNECTION' })), /did not answer/)
  t.match(explainError(e(-32603)), /Something went wrong/)
  t.same(safetyGroups('12345 67890\n' + '1'.repeat(50)).length, 12)
  t.equal(shortFingerprint('AB12 cd34 ef'), 'ab12 cd34')
  t.equal(cleanInvite(' tern:ab\ncd \r\n'), 'tern:abcd')
  t.same(wrapText('aaa bbb ccc', 7), ['aaa bbb', 'ccc'])
  t.same(wrapText('x'.repeat(10), 4), ['xxxx', 'xxxx', 'xx'])
  t.same(wrapText('a\n\nb', 5), ['a', '', 'b'])
  const day = Date.UTC(2026, 2, 2, 12)
  const lines = conversationLines([msg(1, { receivedAt: day }), msg(2, { receivedAt: day + 1000 }), msg(3, { receivedAt: day + 86_400_000 })], 'Bob', 60)
  t.equal(lines.filter(l => l.key.startsWith('day-')).length, 2, 'one separator per day')
  t.ok(lines.every(l => [...l.segments.map(s => s.text).join('')].length <= 60), 'no line wider than asked')
})

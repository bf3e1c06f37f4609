/* @jsxRuntime automatic */ /* @jsxImportSource react */
/**
 * The terminal UI's screens, rendered with Ink at 80×24 and 120×40 against a fake client (a unit test of cli/tui:
 * the fake answers calls from a table and emits events on demand). Asserts on lastFrame() text.
 */
import { EventEmitter } from 'node:events'

import { render } from 'ink-testing-library'
import t, { type Test } from 'tap'
import { App } from '../cli/tui/index.js'
import type { Contact, Message, NodeStatus } from '../cli/tui/index.js'

process.env.TZ = 'UTC'

const DAY1 = Date.UTC(2026, 2, 2, 9, 15)
const DAY2 = Date.UTC(2026, 2, 3, 18, 40)

export const STATUS: NodeStatus = {
  locked: false,
  initialised: true,
  peerId: '12D3KooWSelf',
  name: 'Ada',
  online: true,
  peers: 2,
  fingerprint: '3f2a 9c1b 77e0 12aa',
  addresses: [],
  relays: [{ peerId: '12D3KooWRelay', addresses: ['/ip4/11.0.0.1/tcp/4001'], reserved: true }],
  connections: 3,
  reachability: 'relayed',
  version: '0.1.0',
  uptimeSeconds: 60
}

export function contact (id: string, name: string, extra: Partial<Contact> = {}): Contact {
  return {
    id, peerId: `12D3KooW${id}`, name, fingerprint: 'ab12 cd34 ef56', state: 'established', verified: false, blocked: false,
    online: false, lastSeen: null, unread: 0, createdAt: id.charCodeAt(0), ...extra
  }
}

export function message (seq: number, extra: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`, with: 'b', seq, direction: 'out', text: `message ${seq}`, sentAt: DAY1 + seq * 60_000, receivedAt: null,
    status: 'delivered', path: 'direct', ...extra
  }
}

const CONTACTS = [
  contact('b', 'Bob', { online: true, verified: true }),
  contact('c', 'Carol', { unread: 2 }),
  contact('d', 'Dave', { state: 'pending' }),
  contact('e', 'Eve', { state: 'rejected' })
]

const MESSAGES = [
  message(1, { direction: 'in', text: 'hi Ada', receivedAt: DAY1, status: 'read', path: 'relayed' }),
  message(2, { text: 'hello Bob', status: 'read' }),
  message(3, { text: 'queued one', status: 'queued', path: null, sentAt: DAY2 }),
  message(4, { text: 'sent one', status: 'sent', sentAt: DAY2 + 1000 }),
  message(5, { text: 'in the mailbox', status: 'mailbox', path: 'mailbox', sentAt: DAY2 + 2000 }),
  message(6, { text: 'delivered one', status: 'delivered', sentAt: DAY2 + 3000 }),
  message(7, { text: 'did not go', status: 'failed', failure: 'contact unreachable', path: null, sentAt: DAY2 + 4000 })
]

type Handler = (params: Record<string, unknown>) => unknown

export class FakeClient extends EventEmitter {
  calls: Array<{ method: string, params: Record<string, unknown> }> = []
  handlers: Record<string, Handler>
  constructor (handlers: Record<string, Handler> = {}) {
    super()
    this.handlers = {
      'node.status': () => STATUS,
      'events.subscribe': () => ({ cursor: 0 }),
      'contacts.list': () => ({ contacts: CONTACTS }),
      'messages.list': p => ({ messages: p.with === 'b' ? MESSAGES : [] }),
      'messages.markRead': () => ({ updated: 0 }),
      ...handlers
    }
  }

  async call<R = unknown>(method: string, params: Record<string, unknown> = {}): Promise<R> {
    this.calls.push({ method, params })
    const h = this.handlers[method]
    if (h === undefined) throw Object.assign(new Error('method not found'), { code: -32601 })
    return await Promise.resolve(h(params)) as R
  }

  async subscribe (after?: number): Promise<{ cursor: number }> {
    return await this.call('events.subscribe', after === undefined ? {} : { after })
  }

  event (type: string, data: unknown): void {
    this.emit('event', { cursor: 1, type, data })
  }
}

export const rpcError = (code: number, data?: unknown): Error => Object.assign(new Error(`rpc ${code}`), { code, data })

export const tick = async (ms = 30): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

export interface Rendered {
  lastFrame: () => string
  stdin: { write: (s: string) => void }
  unmount: () => void
}

/** ink-testing-library's render; the size is given to <App/> (its fake stdout is fixed at 100 columns). */
export function renderAt (client: FakeClient, columns: number, rows: number, onQuit?: () => void): Rendered {
  const r = render(<App client={client} columns={columns} rows={rows} onQuit={onQuit} />)
  return { lastFrame: () => r.lastFrame() ?? '', stdin: r.stdin, unmount: r.unmount }
}

/** Wait until the frame contains `text` (or fails `pred`), up to 3 s; returns the frame. */
export async function waitFor (r: Rendered, text: string | ((f: string) => boolean)): Promise<string> {
  const ok = typeof text === 'string' ? (f: string) => f.includes(text) : text
  for (let i = 0; i < 150; i++) {
    const f = r.lastFrame()
    if (ok(f)) return f
    await tick(20)
  }
  return r.lastFrame()
}

/** Type a string one key at a time, as a terminal does. */
export async function type (stdin: { write: (s: string) => void }, s: string): Promise<void> {
  for (const ch of s) { stdin.write(ch); await tick(20) }
}

async function press (r: Rendered, key: string): Promise<void> {
  r.stdin.write(key)
  await tick(30)
}

const KEYS = { enter: '\r', tab: '\t', esc: '\u001b', ctrlN: '\u000e', ctrlA: '\u0001', ctrlJ: '\n', pgUp: '\u001b[5~', backspace: '\u007f', down: '\u001b[B' }

function checkSize (t: Test, frame: string, columns: number, rows: number): void {
  const lines = frame.split('\n')
  t.ok(lines.length <= rows - 1, `at most ${rows - 1} lines (got ${lines.length})`)
  t.ok(lines.every(l => [...l].length <= columns), `no line wider than ${columns}`)
}

for (const [columns, rows] of [[80, 24], [120, 40]]) {
  t.test(`main screen at ${columns}x${rows}: contacts, messages, glyphs, day separators, status bar`, async t => {
    const client = new FakeClient()
    const r = renderAt(client, columns, rows)
    const f = await waitFor(r, 'did not go')
    for (const s of ['● Bob ✔', '○ Carol 2', 'Dave pending', 'Eve rejected']) t.match(f, s, `contact row ${s}`)
    t.match(f, 'Mon 2 Mar 2026', 'day separator of the first day')
    t.match(f, 'Tue 3 Mar 2026', 'day separator of the second day')
    t.match(f, /09:15\s+Bob: hi Ada ·relay/, 'incoming message with time and path')
    t.match(f, /✓✓ you: hello Bob ·direct/, 'read')
    t.match(f, /○  you: queued one/, 'queued')
    t.match(f, /✓  you: sent one ·direct/, 'sent')
    t.match(f, /✉  you: in the mailbox ·mbox/, 'mailbox')
    t.match(f, /✓✓ you: delivered one ·direct/, 'delivered')
    t.match(f, /✗  you: did not go failed: contact unreachable/, 'failed with reason')
    t.match(f, 'Ada 3f2a 9c1b', 'own name and short fingerprint')
    t.match(f, 'relay ✓', 'relay reservation')
    t.match(f, 'relayed', 'reachability')
    t.match(f, '3 conn', 'connections')
    t.match(f, '● node', 'node connection')
    checkSize(t, f, columns, rows)
    r.unmount()
  })
}

t.test('first run: name, passphrase twice (hidden), mismatch in plain words, then node.init', async t => {
  let status: NodeStatus = { locked: true, initialised: false }
  const client = new FakeClient({
    'node.status': () => status,
    'node.init': () => { status = STATUS; return STATUS }
  })
  const r = renderAt(client, 80, 24)
  let f = await waitFor(r, 'Welcome to Tern')
  t.match(f, 'Display name')
  t.match(f, 'Repeat passphrase')
  checkSize(t, f, 80, 24)
  await type(r.stdin, 'Ada')
  await press(r, KEYS.tab)
  await type(r.stdin, 'secret1')
  await press(r, KEYS.tab)
  await type(r.stdin, 'secret2')
  await press(r, KEYS.enter) // to the optional relay field
  await press(r, KEYS.enter) // submit
  f = await waitFor(r, 'passphrases differ')
  t.match(f, 'The two passphrases differ. Type them again.')
  t.notMatch(f, 'secret', 'passphrases are never shown')
  t.notOk(client.calls.some(c => c.method === 'node.init'), 'nothing sent yet')
  await type(r.stdin, 'secret1')
  await press(r, KEYS.enter) // to the relay field
  const relay = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWCYiMDqgcywSaqZnHGC7duyCkX377pbXexQ4RSDXa9Sgh'
  await type(r.stdin, relay)
  await press(r, KEYS.enter)
  f = await waitFor(r, 'Bob')
  const init = client.calls.find(c => c.method === 'node.init')
  t.same(init?.params, { name: 'Ada', passphrase: 'secret1', relays: [relay] }, 'the relay goes to node.init')
  t.match(f, 'Contacts')
  r.unmount()
})

t.test('first run at 120x40', async t => {
  const client = new FakeClient({ 'node.status': () => ({ locked: true, initialised: false }) })
  const r = renderAt(client, 120, 40)
  const f = await waitFor(r, 'Welcome to Tern')
  t.match(f, 'Passphrase')
  checkSize(t, f, 120, 40)
  r.unmount()
})

t.test('unlock: a wrong passphrase is said in plain words and the screen stays', async t => {
  let locked = true
  const client = new FakeClient({
    'node.status': () => locked ? { locked: true, initialised: true } : STATUS,
    'node.unlock': p => {
      if (p.passphrase !== 'right') throw rpcError(-32002)
      locked = false
      return STATUS
    }
  })
  const r = renderAt(client, 80, 24)
  let f = await waitFor(r, 'Tern is locked')
  await type(r.stdin, 'wrong')
  t.match(r.lastFrame(), '•••••', 'typed passphrase is hidden')
  t.notMatch(r.lastFrame(), 'wrong')
  await press(r, KEYS.enter)
  f = await waitFor(r, 'Wrong passphrase')
  t.match(f, 'Wrong passphrase. Try again.')
  t.match(f, 'Tern is locked', 'still on the unlock screen')
  checkSize(t, f, 80, 24)
  await type(r.stdin, 'right')
  await press(r, KEYS.enter)
  f = await waitFor(r, 'Bob')
  t.match(f, 'Contacts')
  r.unmount()
})

const INVITE = 'tern:' + 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_'.repeat(11)

for (const [columns, rows] of [[80, 24], [120, 40], [160, 50]]) {
  t.test(`invite screen at ${columns}x${rows}`, async t => {
    const client = new FakeClient({ 'invite.create': () => ({ invite: INVITE, expiresAt: Date.UTC(2026, 2, 9, 12, 0) }) })
    const r = renderAt(client, columns, rows)
    await waitFor(r, 'Bob')
    await press(r, KEYS.ctrlN)
    const f = await waitFor(r, 'tern:')
    t.match(f, 'New invite')
    const lines = f.split('\n')
    const first = lines.findIndex(l => l.startsWith('tern:'))
    let link = ''
    for (let i = first; i < lines.length && lines[i] !== '' && !/[█▀▄]/.test(lines[i]); i++) link += lines[i]
    t.equal(link, INVITE, 'the link lines, joined, are the invite: no border, no padding')
    t.ok(lines.slice(first, first + Math.ceil(INVITE.length / columns) - 1).every(l => l.length === columns), 'broken only at the terminal width')
    if (rows >= 50) t.match(f, /[█▀▄]{10}/, 'a QR code is drawn')
    else t.match(f, 'to see a QR code', 'too small for the QR code: says so')
    t.match(f, 'It expires Mon 9 Mar 2026 12:00 and works once.')
    checkSize(t, f, columns, rows)
    await press(r, KEYS.esc)
    t.match(await waitFor(r, 'Contacts'), 'Contacts', 'Esc goes back')
    r.unmount()
  })
}

t.test('add contact: errors in plain words by code, CONTACT_EXISTS jumps to the contact', async t => {
  const answers: Record<string, () => unknown> = {
    'tern:bad': () => { throw rpcError(-32020) },
    'tern:old': () => { throw rpcError(-32021) },
    'tern:used': () => { throw rpcError(-32022) },
    'tern:carol': () => { throw rpcError(-32023, { code: 'ERR_CONTACT_EXISTS', contactId: 'c' }) },
    'tern:new': () => contact('f', 'Frank', { state: 'pending' })
  }
  const client = new FakeClient({ 'contacts.add': p => answers[String(p.invite)]() })
  for (const [columns, rows] of [[80, 24], [120, 40]]) {
    const r = renderAt(client, columns, rows)
    await waitFor(r, 'Bob')
    await press(r, KEYS.ctrlA)
    let f = await waitFor(r, 'Add a contact')
    t.match(f, 'Paste the invite')
    const tryInvite = async (invite: string, expect: string): Promise<string> => {
      for (let i = 0; i < 12; i++) await press(r, KEYS.backspace)
      r.stdin.write(invite) // a paste arrives as one chunk
      await tick(30)
      await press(r, KEYS.enter)
      return await waitFor(r, expect)
    }
    f = await tryInvite('tern:bad', 'damaged')
    t.match(f, 'This invite is damaged or incomplete.')
    checkSize(t, f, columns, rows)
    t.match(await tryInvite('tern:old', 'expired'), 'This invite has expired.')
    t.match(await tryInvite('tern:used', 'already used'), 'This invite was already used.')
    f = await tryInvite('tern:carol', 'already a contact')
    t.match(f, 'Carol is already a contact.')
    t.notMatch(f, 'Add a contact', 'the add screen closed')
    t.match(f, /Carol\s+not verified/, 'the conversation with Carol is open')
    await press(r, KEYS.ctrlA)
    await waitFor(r, 'Add a contact')
    r.stdin.write('tern:n\new') // a line break from a wrapped terminal line is ignored
    await tick(30)
    await press(r, KEYS.enter)
    f = await waitFor(r, 'Added Frank')
    t.match(f, 'Frank pending')
    r.unmount()
  }
})

t.test('verify: safety number in 12 groups of 5, y marks verified', async t => {
  const digits = Array.from({ length: 60 }, (_, i) => String(i % 10)).join('')
  const client = new FakeClient({
    'contacts.safetyNumber': () => ({ safetyNumber: digits }),
    'contacts.verify': p => contact(String(p.id), 'Carol', { verified: true })
  })
  for (const [columns, rows] of [[80, 24], [120, 40]]) {
    const r = renderAt(client, columns, rows)
    await waitFor(r, 'Bob')
    await press(r, KEYS.down)
    await press(r, 'v')
    const f = await waitFor(r, '01234 56789')
    t.match(f, 'Verify Carol')
    t.match(f, '01234 56789 01234 56789')
    const groups = f.match(/\b\d{5}\b/g) ?? []
    t.equal(groups.length, 12, '12 groups of 5 digits')
    checkSize(t, f, columns, rows)
    await press(r, 'y')
    const g = await waitFor(r, fr => !fr.includes('Verify Carol'))
    t.same(client.calls.filter(c => c.method === 'contacts.verify').at(-1)?.params, { id: 'c' })
    t.match(g, /Carol ✔/, 'Carol shows as verified')
    r.unmount()
  }
})

t.test('help overlay: ? opens it, Esc closes it', async t => {
  for (const [columns, rows] of [[80, 24], [120, 40]]) {
    const client = new FakeClient()
    const r = renderAt(client, columns, rows)
    await waitFor(r, 'Bob')
    await press(r, '?')
    const f = await waitFor(r, 'Keys')
    for (const k of ['Ctrl+N', 'Ctrl+A', 'Ctrl+J', 'PgUp', 'Ctrl+C']) t.match(f, k)
    checkSize(t, f, columns, rows)
    await press(r, KEYS.esc)
    t.notMatch(await waitFor(r, fr => !fr.includes('Keys')), 'Ctrl+J new line in the message')
    r.unmount()
  }
})

t.test('q in the compose line types a q; q in the contact list quits', async t => {
  let quits = 0
  const client = new FakeClient()
  const r = renderAt(client, 80, 24, () => { quits++ })
  await waitFor(r, 'Bob')
  await press(r, KEYS.tab)
  await type(r.stdin, 'q')
  const f = await waitFor(r, '› q')
  t.match(f, '› q')
  t.equal(quits, 0, 'typing q does not quit')
  await press(r, KEYS.esc) // back to the contact list
  await press(r, 'q')
  t.equal(quits, 1, 'q outside the compose line quits')
  r.unmount()
})

t.test('compose: Enter sends, Ctrl+J adds a line, the sent message appears', async t => {
  let seq = 7
  const client = new FakeClient({
    'messages.send': p => message(++seq, { text: String(p.text), status: 'queued', path: null, sentAt: DAY2 + 9000 })
  })
  const r = renderAt(client, 80, 24)
  await waitFor(r, 'did not go')
  await press(r, KEYS.tab)
  await type(r.stdin, 'line one')
  await press(r, KEYS.ctrlJ)
  await type(r.stdin, 'two')
  await press(r, KEYS.enter)
  const f = await waitFor(r, 'line one')
  const send = client.calls.find(c => c.method === 'messages.send')
  t.equal(send?.params.to, 'b')
  t.equal(send?.params.text, 'line one\ntwo')
  t.match(f, /○  you: line one/)
  t.match(f, /\n\s+│\s+two/, 'second line of the message under the first')
  await type(r.stdin, 'a')
  await press(r, '\u001b\r') // Alt+Enter: a new line too
  await type(r.stdin, 'b')
  await press(r, KEYS.enter)
  await waitFor(r, () => client.calls.filter(c => c.method === 'messages.send').length === 2)
  t.equal(client.calls.filter(c => c.method === 'messages.send')[1]?.params.text, 'a\nb', 'Alt+Enter adds a line')
  r.stdin.write('fast\r') // typed faster than a render, or tmux send-keys: text then Enter in one chunk
  await waitFor(r, () => client.calls.filter(c => c.method === 'messages.send').length === 3)
  t.equal(client.calls.filter(c => c.method === 'messages.send')[2]?.params.text, 'fast', 'a chunk ending in \\r is text, then Enter')
  client.event('message.status', { id: 'm8', with: 'b', status: 'delivered', path: 'direct' })
  t.match(await waitFor(r, '✓✓ you: line one'), /✓✓ you: line one/, 'a message.status event updates the glyph')
  r.unmount()
})

t.test('events: a received message, presence, mark read; PgUp pages back with before', async t => {
  const long = Array.from({ length: 50 }, (_, i) => message(i + 51, { with: 'c', direction: 'in', status: 'delivered', receivedAt: DAY2 + i * 1000, text: `note ${i + 51}` }))
  const older = Array.from({ length: 10 }, (_, i) => message(i + 41, { with: 'c', direction: 'in', status: 'read', receivedAt: DAY1 + i * 1000, text: `old ${i + 41}` }))
  const client = new FakeClient({
    'messages.list': p => ({ messages: p.with === 'c' ? (p.before === undefined ? long : older) : MESSAGES })
  })
  const r = renderAt(client, 80, 24)
  await waitFor(r, 'did not go')
  client.event('message.received', { message: message(9, { direction: 'in', text: 'live one', receivedAt: DAY2 + 60_000 }) })
  t.match(await waitFor(r, 'live one'), 'Bob: live one')
  client.event('contact.presence', { id: 'c', online: true, lastSeen: DAY2 })
  t.match(await waitFor(r, '● Carol'), '● Carol')
  await press(r, KEYS.down)
  let f = await waitFor(r, 'note 100')
  await waitFor(r, () => client.calls.some(c => c.method === 'messages.markRead'))
  t.same(client.calls.find(c => c.method === 'messages.markRead')?.params, { with: 'b', upTo: 9 }, 'the open conversation is marked read as a message arrives')
  await waitFor(r, () => client.calls.some(c => c.method === 'messages.markRead' && c.params.with === 'c'))
  t.same(client.calls.find(c => c.method === 'messages.markRead' && c.params.with === 'c')?.params, { with: 'c', upTo: 100 }, 'opening a conversation marks it read')
  f = await waitFor(r, fr => !/Carol 2/.test(fr))
  t.notMatch(f, 'Carol 2', 'unread count cleared')
  for (let i = 0; i < 4; i++) await press(r, KEYS.pgUp)
  f = await waitFor(r, () => client.calls.some(c => c.method === 'messages.list' && c.params.before !== undefined))
  t.same(client.calls.find(c => c.method === 'messages.list' && c.params.before !== undefined)?.params, { with: 'c', before: 51, limit: 50 })
  for (let i = 0; i < 3; i++) await press(r, KEYS.pgUp)
  f = await waitFor(r, 'old 4')
  t.match(f, 'old 4', 'older page shown')
  client.event('node.status', { status: { ...STATUS, connections: 7 } })
  t.match(await waitFor(r, '7 conn'), '7 conn')
  client.emit('disconnect', new Error('gone'))
  t.match(await waitFor(r, 'node offline'), 'node offline')
  r.unmount()
})

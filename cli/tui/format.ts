/**
 * Pure text formatting for the terminal UI: status glyphs, compact paths, times and day separators, conversation
 * lines wrapped to a width, safety number groups and plain-words error texts. Owns the wording on screen (a contract:
 * cli/tui/README.md); knows nothing of Ink or of the client.
 */
import type { Contact, Message, MessagePath, MessageStatus, NodeStatus } from './types.js'
import { RpcErrorCode } from '../../node/rpc/errors.js'

/** JSON-RPC error codes the UI explains: the API's own table (node/rpc/errors.ts; the numbers are stable). */
export const ERR = RpcErrorCode

export const STATUS_GLYPHS: Readonly<Record<MessageStatus, string>> = Object.freeze({
  queued: '○',
  sent: '✓',
  mailbox: '✉',
  delivered: '✓✓',
  read: '✓✓',
  failed: '✗'
})

/** Ink colour per status (read is the coloured ✓✓). */
export const STATUS_COLOURS: Readonly<Record<MessageStatus, string | undefined>> = Object.freeze({
  queued: 'gray',
  sent: undefined,
  mailbox: 'yellow',
  delivered: undefined,
  read: 'cyan',
  failed: 'red'
})

const PATH_LABELS: Readonly<Record<MessagePath, string>> = Object.freeze({ direct: 'direct', relayed: 'relay', mailbox: 'mbox' })

export function pathLabel (p: MessagePath | null | undefined): string {
  return p == null ? '' : PATH_LABELS[p]
}

const pad2 = (n: number): string => String(n).padStart(2, '0')
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** HH:MM in local time. */
export function timeOf (ms: number): string {
  const d = new Date(ms)
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}`
}

/** "Mon 2 Mar 2026" in local time. */
export function dayOf (ms: number): string {
  const d = new Date(ms)
  return `${DAYS[d.getDay()]} ${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}`
}

/** The moment a message is shown at: when it arrived here, or when it was sent. */
export function messageTime (m: Message): number {
  return m.receivedAt ?? m.sentAt
}

/** First 8 hex digits of a fingerprint, as "abcd ef01". */
export function shortFingerprint (fp: string | null | undefined): string {
  const hex = (fp ?? '').replace(/[^0-9a-fA-F]/g, '').toLowerCase()
  return hex.length < 8 ? hex : `${hex.slice(0, 4)} ${hex.slice(4, 8)}`
}

/** A safety number as its 12 groups of 5 digits (PROTOCOL.md §2.4). */
export function safetyGroups (sn: string): string[] {
  const digits = sn.replace(/\D/g, '')
  const groups: string[] = []
  for (let i = 0; i < digits.length; i += 5) groups.push(digits.slice(i, i + 5))
  return groups
}

/** An invite as pasted: whitespace and line breaks (from a wrapped terminal line) removed. */
export function cleanInvite (text: string): string {
  return text.replace(/\s+/g, '')
}

/** The JSON-RPC code of a failed call, if it has one. */
export function errorCode (err: unknown): number | undefined {
  const c = (err as { code?: unknown } | null)?.code
  return typeof c === 'number' ? c : undefined
}

/** Explain a failed call in plain words, by its JSON-RPC code; `context` picks the wording for that screen. */
export function explainError (err: unknown, context: 'add' | 'send' | 'unlock' | 'init' | 'other' = 'other'): string {
  switch (errorCode(err)) {
    case ERR.BAD_INVITE: return 'This invite is damaged or incomplete. Ask for the whole tern: link again (copy all of it).'
    case ERR.EXPIRED_INVITE: return 'This invite has expired. Ask your contact for a new one (Ctrl+N makes one on their side).'
    case ERR.USED_INVITE: return 'This invite was already used. An invite works once: ask for a new one.'
    case ERR.CONTACT_EXISTS: return 'This person is already a contact.'
    case ERR.WRONG_PASSPHRASE: return 'Wrong passphrase. Try again.'
    case ERR.NOT_INITIALISED: return 'This node has no identity yet.'
    case ERR.ALREADY_INITIALISED: return 'This node already has an identity: unlock it instead.'
    case ERR.LOCKED: return 'The node is locked. Unlock it first.'
    case ERR.UNKNOWN_CONTACT: return 'That contact no longer exists.'
    case ERR.BLOCKED: return 'You blocked this contact, so nothing is sent to them.'
    case ERR.MESSAGE_TOO_LARGE: return 'The message is too long to send in one piece. Shorten it.'
    case ERR.UNREACHABLE: return 'The node cannot reach its relay yet (an invite needs a relay reservation). Try again in a moment.'
    case ERR.INVALID_PARAMS:
      return context === 'add' ? 'This does not look like an invite. It starts with tern: and is one long line.' : 'The node refused that input as malformed.'
    default: {
      const code = (err as { code?: unknown } | null)?.code
      if (code === 'ERR_RPC_CONNECTION' || code === 'ERR_RPC_TIMEOUT') return 'The node did not answer. Is it still running?'
      return 'Something went wrong in the node. Try again.'
    }
  }
}

/** One styled run of text within a line. */
export interface Segment {
  text: string
  color?: string
  dim?: boolean
  bold?: boolean
}

export interface Line {
  key: string
  segments: Segment[]
}

/** Split text into lines of at most `width` characters, breaking at spaces when it can. */
export function wrapText (text: string, width: number): string[] {
  const w = Math.max(1, width)
  const out: string[] = []
  for (const para of text.split('\n')) {
    let rest = [...para]
    if (rest.length === 0) { out.push(''); continue }
    while (rest.length > w) {
      let cut = rest.lastIndexOf(' ', w)
      if (cut <= 0) cut = w
      out.push(rest.slice(0, cut).join('').trimEnd())
      rest = rest.slice(rest[cut] === ' ' ? cut + 1 : cut)
    }
    out.push(rest.join(''))
  }
  return out
}

/**
 * The conversation as screen lines: a day separator before the first message of each day, then per message
 * "HH:MM ✓✓ who: text ·path", wrapped under the text.
 */
export function conversationLines (messages: Message[], contactName: string, width: number): Line[] {
  const lines: Line[] = []
  let day = ''
  for (const m of messages) {
    const t = messageTime(m)
    const d = dayOf(t)
    if (d !== day) {
      day = d
      const label = ` ${d} `
      const side = Math.max(1, Math.floor((width - label.length) / 2))
      lines.push({ key: `day-${m.id}`, segments: [{ text: '─'.repeat(side) + label + '─'.repeat(Math.max(1, width - side - label.length)), dim: true }] })
    }
    const glyph = m.direction === 'out' ? STATUS_GLYPHS[m.status] : ''
    const head = `${timeOf(t)} ${glyph.padEnd(2)} `
    const who = m.direction === 'out' ? 'you' : contactName
    const indent = head.length
    const path = pathLabel(m.path)
    const suffix = m.status === 'failed' && m.direction === 'out'
      ? ` failed: ${m.failure ?? 'not delivered'}`
      : (path === '' ? '' : ` ·${path}`)
    const body = wrapText(`${who}: ${m.text}`, width - indent)
    const last = body.length - 1
    body.forEach((chunk, i) => {
      const segments: Segment[] = i === 0
        ? [{ text: timeOf(t) + ' ', dim: true }, { text: glyph.padEnd(2), color: m.direction === 'out' ? STATUS_COLOURS[m.status] : undefined }, { text: ' ' }]
        : [{ text: ' '.repeat(indent) }]
      if (i === 0) {
        const name = `${who}:`
        segments.push({ text: name, bold: true, color: m.direction === 'out' ? 'green' : 'magenta' }, { text: chunk.slice(name.length) })
      } else {
        segments.push({ text: chunk })
      }
      if (i === last && suffix !== '' && indent + [...chunk].length + suffix.length <= width) {
        segments.push({ text: suffix, dim: m.status !== 'failed', color: m.status === 'failed' && m.direction === 'out' ? 'red' : undefined })
      }
      lines.push({ key: `${m.id}-${i}`, segments })
    })
    if (suffix !== '' && indent + [...body[last]].length + suffix.length > width) {
      lines.push({ key: `${m.id}-s`, segments: [{ text: ' '.repeat(indent) + suffix.trimStart(), dim: m.status !== 'failed', color: m.status === 'failed' ? 'red' : undefined }] })
    }
  }
  return lines
}

/** A contact's state in a word or two for the list ('' when established). */
export function contactStateLabel (c: Contact): string {
  if (c.blocked) return 'blocked'
  if (c.state === 'pending') return 'pending'
  if (c.state === 'rejected') return 'rejected'
  return ''
}

/** The node's relay reservation in words: "relay ✓" (held on at least one), "relay …" (configured, none held), "no relay". */
export function relayLabel (s: NodeStatus | null): string {
  const relays = s?.relays ?? []
  if (relays.length === 0) return 'no relay'
  return relays.some(r => r.reserved) ? 'relay ✓' : 'relay …'
}

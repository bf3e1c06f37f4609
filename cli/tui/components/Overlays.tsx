/** The screens that replace the conversation for a moment: invite, add contact, verify, help. */
import { Box, Text } from 'ink'
import { dayOf, safetyGroups, timeOf } from '../format.js'
import { qrLines } from '../qr.js'
import type { Overlay } from '../state.js'
import type { Contact } from '../types.js'

type Of<K extends Overlay['kind']> = Extract<Overlay, { kind: K }>

/** Split a link at exactly `width` characters (no other break, no indent): joining the lines gives the link. */
export function hardLines (text: string, width: number): string[] {
  const w = Math.max(1, width)
  const out: string[] = []
  for (let i = 0; i < text.length; i += w) out.push(text.slice(i, i + w))
  return out
}

export function InviteScreen ({ overlay, width, height }: { overlay: Of<'invite'>, width: number, height: number }): React.JSX.Element {
  if (overlay.error !== null) {
    return (
      <Box flexDirection='column'>
        <Text bold>New invite</Text>
        <Text color='red'>{overlay.error}</Text>
        <Text dimColor>Esc back</Text>
      </Box>
    )
  }
  if (overlay.invite === null) {
    return <Box flexDirection='column'><Text bold>New invite</Text><Text dimColor>Creating an invite…</Text></Box>
  }
  const link = hardLines(overlay.invite, width)
  const qr = qrLines(overlay.invite)
  const qrWidth = qr[0]?.length ?? 0
  const fixed = 4 + link.length + 1
  const showQr = qrWidth <= width && qr.length + fixed <= height
  const expires = overlay.expiresAt === null ? 'It works once.' : `It expires ${dayOf(overlay.expiresAt)} ${timeOf(overlay.expiresAt)} and works once.`
  return (
    <Box flexDirection='column'>
      <Text bold wrap='truncate'>New invite <Text bold={false}>· send this link to one person over a channel you trust.</Text></Text>
      <Text wrap='truncate'>{expires}</Text>
      <Text> </Text>
      {link.map((l, i) => <Text key={i}>{l}</Text>)}
      <Text> </Text>
      {showQr
        ? qr.map((l, i) => <Text key={`q${i}`} color='black' backgroundColor='white'>{l}</Text>)
        : <Text dimColor>(Make the terminal at least {qrWidth}×{qr.length + fixed + 2} to see a QR code.)</Text>}
      <Text dimColor>Esc back · they add it with Ctrl+A</Text>
    </Box>
  )
}

export function AddScreen ({ overlay, width }: { overlay: Of<'add'>, width: number }): React.JSX.Element {
  const lines = overlay.text === '' ? [] : hardLines(overlay.text, Math.max(1, width - 2))
  return (
    <Box flexDirection='column'>
      <Text bold>Add a contact</Text>
      <Text>Paste the invite (a tern: link) someone sent you, then Enter.</Text>
      <Text> </Text>
      {lines.length === 0
        ? <Text><Text color='green'>› </Text><Text inverse> </Text></Text>
        : lines.slice(-6).map((l, i, a) => <Text key={i}><Text color='green'>{i === 0 ? '› ' : '  '}</Text>{l}{i === a.length - 1 && <Text inverse> </Text>}</Text>)}
      <Text> </Text>
      {overlay.error !== null && <Text color='red' wrap='wrap'>{overlay.error}</Text>}
      {overlay.busy ? <Text color='yellow'>Adding…</Text> : <Text dimColor>Enter adds · Esc cancels</Text>}
    </Box>
  )
}

export function VerifyScreen ({ overlay, contact }: { overlay: Of<'verify'>, contact: Contact | undefined }): React.JSX.Element {
  const groups = overlay.safetyNumber === null ? [] : safetyGroups(overlay.safetyNumber)
  const rows: string[] = []
  for (let i = 0; i < groups.length; i += 4) rows.push(groups.slice(i, i + 4).join(' '))
  const name = contact?.name ?? 'this contact'
  return (
    <Box flexDirection='column'>
      <Text bold>Verify {name}</Text>
      <Text wrap='wrap'>Compare this safety number with {name}, in person or on a call. If all 60 digits match, nobody is in the middle.</Text>
      <Text> </Text>
      {overlay.safetyNumber === null && overlay.error === null && <Text dimColor>Loading the safety number…</Text>}
      {rows.map((r, i) => <Text key={i} bold>    {r}</Text>)}
      <Text> </Text>
      {contact?.verified === true && <Text color='green'>✔ {name} is verified.</Text>}
      {overlay.error !== null && <Text color='red'>{overlay.error}</Text>}
      {overlay.busy
        ? <Text color='yellow'>Marking as verified…</Text>
        : <Text dimColor>{contact?.verified === true ? 'Esc back' : 'y  they match: mark as verified · Esc back'}</Text>}
    </Box>
  )
}

export const HELP_LINES: ReadonlyArray<[string, string]> = [
  ['Tab', 'switch between the contact list and the compose line'],
  ['↑ ↓', 'choose a contact (in the contact list)'],
  ['→ / Enter', 'from the contact list: start typing to the contact'],
  ['← / Esc', 'from an empty compose line: back to the contact list'],
  ['Enter', 'send the message (in the compose line)'],
  ['Ctrl+J', 'new line in the message (Alt+Enter too)'],
  ['PgUp PgDn', 'scroll the conversation; PgUp at the top loads older'],
  ['Ctrl+N', 'new invite (link and QR code)'],
  ['Ctrl+A', 'add a contact from an invite'],
  ['v', 'verify the selected contact (safety number)'],
  ['?', 'this help (from the contact list)'],
  ['Esc', 'close this screen'],
  ['q', 'quit (not while typing a message)'],
  ['Ctrl+C', 'quit']
]

export function HelpScreen (): React.JSX.Element {
  return (
    <Box flexDirection='column'>
      <Text bold>Keys</Text>
      {HELP_LINES.map(([k, d]) => <Text key={k} wrap='truncate'><Text color='cyan'>{k.padEnd(11)}</Text>{d}</Text>)}
      <Text dimColor>Esc back</Text>
    </Box>
  )
}

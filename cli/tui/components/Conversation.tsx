/** The conversation pane: a header with the contact, then the window of lines the scroll position selects. */
import { Box, Text } from 'ink'
import { shortFingerprint, type Line } from '../format.js'
import type { Contact } from '../types.js'
import { Lines } from './Lines.js'

export interface ConversationProps {
  contact: Contact | undefined
  lines: Line[]
  scroll: number
  loaded: boolean
  loadingOlder: boolean
  hasOlder: boolean
  notice: string | null
  width: number
  height: number
}

export function Conversation ({ contact, lines, scroll, loaded, loadingOlder, hasOlder, notice, width, height }: ConversationProps): React.JSX.Element {
  const body = Math.max(1, height - 1 - (notice === null ? 0 : 1))
  const end = Math.max(0, lines.length - scroll)
  const start = Math.max(0, end - body)
  const top = start === 0 && loaded
    ? (loadingOlder ? '… loading older messages' : hasOlder ? '↑ PgUp for older messages' : null)
    : null
  const window = lines.slice(start, end)
  const shown = top !== null && window.length >= body ? window.slice(1) : window
  return (
    <Box flexDirection='column' width={width} height={height} paddingLeft={1}>
      {contact === undefined
        ? <Text dimColor>No conversation open.</Text>
        : (
          <Text wrap='truncate' bold>
            {contact.name}
            {contact.verified ? <Text color='green'> ✔ verified</Text> : <Text dimColor> not verified (v)</Text>}
            <Text dimColor> {shortFingerprint(contact.fingerprint)}</Text>
            {contact.state !== 'established' && <Text color={contact.state === 'pending' ? 'yellow' : 'red'}> {contact.state}</Text>}
            {scroll > 0 && <Text color='yellow'> ↓ {scroll} more below (PgDn)</Text>}
          </Text>
          )}
      <Box flexDirection='column' height={body}>
        {top !== null && <Text dimColor>{top}</Text>}
        {contact !== undefined && !loaded && <Text dimColor>loading…</Text>}
        {contact !== undefined && loaded && lines.length === 0 && <Text dimColor>No messages yet. Say hello.</Text>}
        <Lines lines={shown} />
      </Box>
      {notice !== null && <Text color='yellow' wrap='truncate'>{notice}</Text>}
    </Box>
  )
}

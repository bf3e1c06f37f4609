/** The contact list: online dot, name, verified mark, pending/rejected/blocked state, unread count. */
import { Box, Text } from 'ink'
import { contactStateLabel } from '../format.js'
import type { Contact } from '../types.js'

export interface ContactListProps {
  contacts: Contact[]
  selectedId: string | null
  focused: boolean
  width: number
  height: number
}

export function ContactList ({ contacts, selectedId, focused, width, height }: ContactListProps): React.JSX.Element {
  const inner = Math.max(4, width - 1)
  const sel = Math.max(0, contacts.findIndex(c => c.id === selectedId))
  const rows = Math.max(1, height - 1)
  const start = Math.max(0, Math.min(sel - rows + 1, contacts.length - rows))
  const shown = contacts.slice(Math.max(0, start), Math.max(0, start) + rows)
  return (
    <Box flexDirection='column' width={width} height={height} borderStyle='single' borderTop={false} borderBottom={false} borderLeft={false} borderDimColor>
      <Text bold={focused} dimColor={!focused} wrap='truncate'>{focused ? '▸ Contacts' : '  Contacts'}</Text>
      {contacts.length === 0 && <Text dimColor wrap='truncate'>No contacts yet.</Text>}
      {contacts.length === 0 && <Text dimColor wrap='truncate'>Ctrl+N invite someone</Text>}
      {contacts.length === 0 && <Text dimColor wrap='truncate'>Ctrl+A add an invite</Text>}
      {shown.map(c => {
        const isSel = c.id === selectedId
        const state = contactStateLabel(c)
        const tail = `${c.verified ? ' ✔' : ''}${c.unread > 0 ? ` ${c.unread}` : ''}`
        const stateText = state === '' ? '' : ` ${state}`
        const nameRoom = Math.max(1, inner - 2 - tail.length - stateText.length)
        const name = [...c.name].length > nameRoom ? [...c.name].slice(0, Math.max(1, nameRoom - 1)).join('') + '…' : c.name
        return (
          <Text key={c.id} wrap='truncate' inverse={isSel && focused} bold={isSel}>
            <Text color={c.online ? 'green' : 'gray'}>{c.online ? '●' : '○'}</Text>
            <Text> {name}</Text>
            {c.verified && <Text color='green'> ✔</Text>}
            {state !== '' && <Text color={state === 'pending' ? 'yellow' : 'red'}> {state}</Text>}
            {c.unread > 0 && <Text color='cyan' bold> {c.unread}</Text>}
          </Text>
        )
      })}
    </Box>
  )
}

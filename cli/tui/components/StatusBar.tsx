/** The bottom line: own name and short fingerprint, relay reservation, NAT reachability, connections, link to the node. */
import { Box, Text } from 'ink'
import { relayLabel, shortFingerprint } from '../format.js'
import type { Connection } from '../state.js'
import type { NodeStatus } from '../types.js'

export interface StatusBarProps {
  status: NodeStatus | null
  connection: Connection
  width: number
}

export function StatusBar ({ status, connection, width }: StatusBarProps): React.JSX.Element {
  const link = connection === 'online' ? '● node' : connection === 'offline' ? '○ node offline' : '… connecting'
  const parts: string[] = []
  if (status !== null && !status.locked) {
    parts.push(`${status.name ?? '?'} ${shortFingerprint(status.fingerprint)}`.trim())
    parts.push(relayLabel(status))
    parts.push(status.reachability ?? 'offline')
    parts.push(`${status.connections ?? 0} conn`)
  } else if (status?.locked === true) {
    parts.push('locked')
  }
  const left = parts.join(' │ ')
  const help = '? help'
  const gap = Math.max(1, width - left.length - link.length - help.length - 6)
  return (
    <Box width={width}>
      <Text wrap='truncate'>
        <Text bold> {left}</Text>
        <Text>{' '.repeat(gap)}</Text>
        <Text color={connection === 'online' ? 'green' : 'red'}>{link}</Text>
        <Text dimColor>{'  ' + help}</Text>
      </Text>
    </Box>
  )
}

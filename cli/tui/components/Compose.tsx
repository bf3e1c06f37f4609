/** The compose line: what is being typed, a cursor when focused, and the keys that send it. */
import { Box, Text } from 'ink'

export interface ComposeProps {
  text: string
  focused: boolean
  to: string | undefined
  width: number
  /** Most rows shown; a longer text shows its end. */
  maxRows: number
}

/** Rows the compose line takes for this text (without its separator). */
export function composeRows (text: string, width: number, maxRows: number): number {
  return Math.max(1, Math.min(maxRows, composeChunks(text, width).length))
}

function composeChunks (text: string, width: number): string[] {
  const w = Math.max(1, width - 3)
  const out: string[] = []
  for (const para of text.split('\n')) {
    const cps = [...para]
    if (cps.length === 0) { out.push(''); continue }
    for (let i = 0; i < cps.length; i += w) out.push(cps.slice(i, i + w).join(''))
  }
  return out
}

export function Compose ({ text, focused, to, width, maxRows }: ComposeProps): React.JSX.Element {
  const chunks = composeChunks(text, width).slice(-maxRows)
  const hint = to === undefined ? 'Select a contact first' : `Message ${to} (Enter sends, Ctrl+J new line)`
  return (
    <Box flexDirection='column' width={width}>
      <Text dimColor>{'─'.repeat(Math.max(1, width))}</Text>
      {text === ''
        ? <Text wrap='truncate'><Text color={focused ? 'green' : 'gray'}>{focused ? '› ' : '  '}</Text>{focused && <Text inverse> </Text>}<Text dimColor>{hint}</Text></Text>
        : chunks.map((c, i) => (
          <Text key={i} wrap='truncate'>
            <Text color={focused ? 'green' : 'gray'}>{i === 0 ? (focused ? '› ' : '  ') : '  '}</Text>
            {c}
            {focused && i === chunks.length - 1 && <Text inverse> </Text>}
          </Text>
        ))}
    </Box>
  )
}

/** Render pre-formatted lines (format.ts Line) as Ink text, one row each, no wrapping. */
import { Box, Text } from 'ink'
import type { Line } from '../format.js'

export function Lines ({ lines }: { lines: Line[] }): React.JSX.Element {
  return (
    <Box flexDirection='column'>
      {lines.map(l => (
        <Text key={l.key} wrap='truncate'>
          {l.segments.map((s, i) => (
            <Text key={i} color={s.color} dimColor={s.dim} bold={s.bold}>{s.text}</Text>
          ))}
        </Text>
      ))}
    </Box>
  )
}

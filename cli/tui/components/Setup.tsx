/** First run (node.init: name, passphrase twice, optional relay) and unlock (node.unlock) screens. */
import { Box, Text } from 'ink'
import type { SetupField, SetupForm, UnlockForm } from '../state.js'

const LABELS: Record<SetupField, string> = {
  name: 'Display name      ',
  passphrase: 'Passphrase        ',
  confirm: 'Repeat passphrase ',
  relay: 'Relay (optional)  '
}

/** Passphrases are never echoed: one dot per character. */
const hide = (s: string): string => '•'.repeat([...s].length)

export function SetupScreen ({ form, withRelay }: { form: SetupForm, withRelay: boolean }): React.JSX.Element {
  const fields: SetupField[] = withRelay ? ['name', 'passphrase', 'confirm', 'relay'] : ['name', 'passphrase', 'confirm']
  return (
    <Box flexDirection='column' paddingX={1}>
      <Text bold>Welcome to Tern</Text>
      <Text>Create your identity. It stays on this computer, locked by your passphrase.</Text>
      <Text dimColor>There is no account and no recovery: if you forget the passphrase, the identity is lost.</Text>
      <Text> </Text>
      {fields.map(f => {
        const value = f === 'passphrase' || f === 'confirm' ? hide(form[f]) : form[f]
        const active = form.field === f
        return (
          <Text key={f} wrap='truncate'>
            <Text color={active ? 'green' : undefined}>{active ? '› ' : '  '}{LABELS[f]}</Text>
            <Text>{value}</Text>
            {active && <Text inverse> </Text>}
          </Text>
        )
      })}
      {withRelay && <Text dimColor wrap='truncate'>  A relay lets contacts reach you behind NAT: /dns4/…/tcp/4001/p2p/12D3…</Text>}
      <Text> </Text>
      {form.error !== null && <Text color='red'>{form.error}</Text>}
      {form.busy
        ? <Text color='yellow'>Creating your identity… (this takes a few seconds)</Text>
        : <Text dimColor>Tab/↓ next field · ↑ previous · Enter on the last field creates it · Ctrl+C quits</Text>}
    </Box>
  )
}

export function UnlockScreen ({ form, name }: { form: UnlockForm, name: string | null }): React.JSX.Element {
  return (
    <Box flexDirection='column' paddingX={1}>
      <Text bold>Tern is locked</Text>
      <Text>Type the passphrase of {name ?? 'this identity'} to unlock it.</Text>
      <Text> </Text>
      <Text wrap='truncate'>
        <Text color='green'>› Passphrase </Text>
        <Text>{hide(form.passphrase)}</Text>
        <Text inverse> </Text>
      </Text>
      <Text> </Text>
      {form.error !== null && <Text color='red'>{form.error}</Text>}
      {form.busy ? <Text color='yellow'>Unlocking…</Text> : <Text dimColor>Enter unlocks · Ctrl+C quits</Text>}
    </Box>
  )
}

export function ConnectingScreen ({ offline }: { offline: boolean }): React.JSX.Element {
  return (
    <Box flexDirection='column' paddingX={1}>
      <Text>{offline ? 'Cannot reach the Tern node; retrying…' : 'Connecting to the Tern node…'}</Text>
      <Text dimColor>Ctrl+C quits</Text>
    </Box>
  )
}

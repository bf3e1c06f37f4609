/**
 * The conversation both TUI end-to-end tests run: Alice (in the TUI, by keystrokes) creates an invite, Bob (through the
 * API) adds it, Alice writes, Bob reads and answers, and Alice's screen shows the answer and Bob online.
 */
import type { Test } from 'tap'
import { until, type TestDaemon } from './testnet.js'
import { extractInvite, type TmuxPane } from './tmux.js'

interface MessageView { text: string, direction: string }

/** Returns the last screen seen. */
export async function exchangeByKeystrokes (t: Test, pane: TmuxPane, alice: TestDaemon, bob: TestDaemon): Promise<string> {
  // The main screen (Alice's daemon is unlocked): the contact list heading.
  await pane.waitFor(/Contacts/, 'the main screen', 30_000)

  // An invite by keystrokes.
  pane.keys('C-n')
  const inviteScreen = await pane.waitFor(s => extractInvite(s) !== undefined, 'the tern: link', 20_000)
  const invite = extractInvite(inviteScreen) as string
  t.match(invite, /^tern:[A-Za-z0-9_-]+$/, 'read the invite link off the screen')

  const added = await bob.call<{ id: string }>('contacts.add', { invite, name: 'Alice' })
  await until(async () => (await bob.call<{ state: string }>('contacts.get', { id: added.id })).state === 'established', 'Bob sees Alice established', 30_000)
  pane.keys('Escape')
  await pane.waitFor(/● Bob/, 'Bob in Alice\'s contact list, online', 30_000)
  t.pass('Bob appears on Alice\'s screen, online')

  // Alice writes: focus the compose line (Tab), type, Enter.
  const text = `hello from the tui ${process.pid}`
  await focusCompose(pane)
  await pane.typeAndEnter(text)
  const received = await until(async () => {
    const { messages } = await bob.call<{ messages: MessageView[] }>('messages.list', { with: added.id })
    return messages.find(m => m.direction === 'in' && m.text === text)
  }, 'Bob receives Alice\'s message', 30_000)
  t.equal(received.text, text, 'Bob received the typed message')

  const reply = `hi Alice, Bob here ${process.pid}`
  await bob.call('messages.send', { to: added.id, text: reply })
  const screen = await pane.waitFor(s => s.includes(reply) && /● Bob/.test(s), 'the reply and Bob online', 20_000)
  t.pass('Alice\'s screen shows the reply and Bob online')
  return screen
}

/** Tab until the compose line has the focus (the TUI toggles contacts ↔ compose). */
async function focusCompose (pane: TmuxPane): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const s = pane.capture()
    if (s.includes('  Contacts') && !s.includes('▸ Contacts')) return
    pane.keys('Tab')
    await new Promise(resolve => setTimeout(resolve, 300))
  }
}

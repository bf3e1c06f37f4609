/**
 * The terminal UI's root: a small store around the pure reducer (state.ts), the keyboard map (cli/tui/README.md is
 * its contract), the layout for the terminal's size, and the controller that talks to the node. Components below it
 * only render props.
 */
import { Box, useApp, useInput, useStdout, type Key } from 'ink'
import { useCallback, useEffect, useRef, useState } from 'react'
import { Compose, composeRows } from './components/Compose.js'
import { ContactList } from './components/ContactList.js'
import { Conversation } from './components/Conversation.js'
import { AddScreen, HelpScreen, InviteScreen, VerifyScreen } from './components/Overlays.js'
import { ConnectingScreen, SetupScreen, UnlockScreen } from './components/Setup.js'
import { StatusBar } from './components/StatusBar.js'
import { useController, type Controller } from './controller.js'
import { conversationLines } from './format.js'
import { initialState, reduce, selectedContact, SETUP_FIELDS, type Action, type TuiState } from './state.js'
import type { TuiClient } from './types.js'

/** Narrowest and shortest layout drawn (the UI is designed for 80×24 and up). */
export const MIN_COLUMNS = 40
export const MIN_ROWS = 10
/** Width of the contact list at 80 columns and above (characters, border included). */
export const CONTACTS_WIDTH = 24
/** Most rows the compose line grows to. */
export const COMPOSE_MAX_ROWS = 3

export interface AppProps {
  client: TuiClient
  /** Fixed size (tests); otherwise the terminal's, following resizes. */
  columns?: number
  rows?: number
  /** Called once when the user quits (q or Ctrl+C). */
  onQuit?: () => void
  /** Receives the first-run relay multiaddr; without it the first-run screen does not ask for one. */
  addRelay?: (multiaddr: string) => Promise<void>
  /** Initial state (tests). */
  initial?: TuiState
}

/** The reducer behind a ref, so that key handlers always read the state after the previous key. */
function useStore (initial: TuiState): [TuiState, (a: Action) => void, () => TuiState] {
  const ref = useRef(initial)
  const [state, setState] = useState(initial)
  const dispatch = useCallback((a: Action) => {
    ref.current = reduce(ref.current, a)
    setState(ref.current)
  }, [])
  const getState = useCallback(() => ref.current, [])
  return [state, dispatch, getState]
}

function useSize (columns?: number, rows?: number): { width: number, height: number } {
  const { stdout } = useStdout()
  const read = (): { width: number, height: number } => ({
    width: Math.max(MIN_COLUMNS, columns ?? stdout.columns ?? 80),
    // one row short of the terminal: Ink redraws a frame as tall as the terminal by clearing it (flicker)
    height: Math.max(MIN_ROWS, (rows ?? stdout.rows ?? 24) - 1)
  })
  const [size, setSize] = useState(read)
  useEffect(() => {
    if (columns !== undefined && rows !== undefined) { setSize(read()); return }
    const onResize = (): void => { setSize(read()) }
    stdout.on('resize', onResize)
    return () => { stdout.off('resize', onResize) }
  }, [stdout, columns, rows])
  return size
}

/** Printable text of a key press ('' for control keys); pasted line breaks become \n. */
function printable (input: string, key: Key): string {
  if (key.ctrl || key.escape || key.tab || key.return || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow ||
    key.pageUp || key.pageDown || key.backspace || key.delete) return ''
  // eslint-disable-next-line no-control-regex
  return input.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, '')
}

const NO_KEY: Key = {
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
  return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false,
  super: false, hyper: false, capsLock: false, numLock: false
}

/** Split a chunk of input into runs of text and single control keys. */
function splitKeys (chunk: string): Array<[string, Key]> {
  const out: Array<[string, Key]> = []
  let run = ''
  const flush = (): void => { if (run !== '') out.push([run, NO_KEY]); run = '' }
  for (const ch of chunk) {
    const code = ch.codePointAt(0) ?? 0
    if (code >= 0x20 && code !== 0x7f) { run += ch; continue }
    if (ch === '\n') { run += ch; continue } // Ctrl+J: a new line in the text
    flush()
    if (ch === '\r') out.push(['', { ...NO_KEY, return: true }])
    else if (ch === '\t') out.push(['', { ...NO_KEY, tab: true }])
    else if (ch === '\u007f' || ch === '\b') out.push(['', { ...NO_KEY, backspace: true }])
    else if (code >= 1 && code <= 26) out.push([String.fromCharCode(code + 96), { ...NO_KEY, ctrl: true }])
  }
  flush()
  return out
}

const dropLast = (s: string): string => [...s].slice(0, -1).join('')

export function App ({ client, columns, rows, onQuit, addRelay, initial }: AppProps): React.JSX.Element {
  const [state, dispatch, getState] = useStore(initial ?? initialState())
  const ctl = useController(client, state, getState, dispatch, { addRelay })
  const { exit } = useApp()
  const { width, height } = useSize(columns, rows)

  // layout (also needed by the keys: a page is the conversation's height)
  const contact = selectedContact(state)
  const conv = state.selectedId === null ? undefined : state.conversations[state.selectedId]
  const listWidth = width >= 80 ? CONTACTS_WIDTH : Math.max(16, Math.floor(width * 0.3))
  const convWidth = width - listWidth - 1
  const cRows = composeRows(state.compose, width, COMPOSE_MAX_ROWS)
  const mainHeight = Math.max(3, height - 1 - 1 - cRows)
  const lines = contact === undefined || conv === undefined ? [] : conversationLines(conv.messages, contact.name, convWidth - 1)
  const page = Math.max(1, mainHeight - 3)
  const layout = useRef({ page, maxScroll: 0 })
  layout.current = { page, maxScroll: Math.max(0, lines.length - (mainHeight - 2)) }

  const quit = useCallback(() => {
    if (getState().quit) return
    dispatch({ type: 'quit' })
    onQuit?.()
    exit()
  }, [])

  const onKey = useCallback((input: string, key: Key) => {
    if (key.ctrl && input === 'c') { quit(); return }
    const withRelay = true // node.init takes the optional relay
    // A chunk with control characters in it (fast typing, `tmux send-keys 'Ada' Tab 'pw' Enter`, a paste) is handled
    // as the keys it is made of: \r is Enter, \t Tab, DEL Backspace, Ctrl+letters as themselves.
    if (input.length > 1 && !input.startsWith('\u001b') && !key.ctrl && !key.meta && /[\u0000-\u0009\u000b-\u001f\u007f]/.test(input)) {
      for (const [text, k] of splitKeys(input)) {
        if (getState().quit) return
        if (k.ctrl && text === 'c') { quit(); return }
        handleKey(getState(), dispatch, ctl, text, k, quit, layout.current, withRelay)
      }
      return
    }
    handleKey(getState(), dispatch, ctl, input, key, quit, layout.current, withRelay)
  }, [ctl])
  useInput(onKey)

  let body: React.JSX.Element
  if (state.screen === 'connecting') {
    body = <ConnectingScreen offline={state.connection === 'offline'} />
  } else if (state.screen === 'setup') {
    body = <SetupScreen form={state.setup} withRelay />
  } else if (state.screen === 'unlock') {
    body = <UnlockScreen form={state.unlock} name={state.status?.name ?? null} />
  } else if (state.overlay !== null) {
    const o = state.overlay
    const h = height - 1
    body = (
      <Box height={h} flexDirection='column'>
        {o.kind === 'invite' && <InviteScreen overlay={o} width={width} height={h} />}
        {o.kind === 'add' && <AddScreen overlay={o} width={width} />}
        {o.kind === 'verify' && <VerifyScreen overlay={o} contact={state.contacts.find(c => c.id === o.contactId)} />}
        {o.kind === 'help' && <HelpScreen />}
      </Box>
    )
  } else {
    body = (
      <Box flexDirection='column'>
        <Box height={mainHeight}>
          <ContactList contacts={state.contacts} selectedId={state.selectedId} focused={state.focus === 'contacts'} width={listWidth} height={mainHeight} />
          <Conversation
            contact={contact}
            lines={lines}
            scroll={conv?.scroll ?? 0}
            loaded={conv?.loaded ?? false}
            loadingOlder={conv?.loadingOlder ?? false}
            hasOlder={conv?.hasOlder ?? false}
            notice={state.notice}
            width={convWidth}
            height={mainHeight}
          />
        </Box>
        <Compose text={state.compose} focused={state.focus === 'compose'} to={contact?.name} width={width} maxRows={COMPOSE_MAX_ROWS} />
      </Box>
    )
  }
  return (
    <Box flexDirection='column' width={width} height={height}>
      <Box flexDirection='column' flexGrow={1}>{body}</Box>
      <StatusBar status={state.status} connection={state.connection} width={width} />
    </Box>
  )
}

/** The keyboard map (documented in cli/tui/README.md: keep the two in step). */
function handleKey (
  s: TuiState, dispatch: (a: Action) => void, ctl: Controller, input: string, key: Key, quit: () => void,
  layout: { page: number, maxScroll: number }, withRelay: boolean
): void {
  const text = printable(input, key)
  if (s.screen === 'setup') {
    const last = withRelay ? SETUP_FIELDS.length - 1 : SETUP_FIELDS.indexOf('confirm')
    const at = SETUP_FIELDS.indexOf(s.setup.field)
    if (key.upArrow || (key.tab && key.shift)) { dispatch({ type: 'setup.field', delta: -1 }); return }
    if (key.downArrow || key.tab) { if (at < last) dispatch({ type: 'setup.field', delta: 1 }); return }
    if (key.return) {
      if (at < last) { dispatch({ type: 'setup.field', delta: 1 }); return }
      dispatch({ type: 'setup.submit' })
      ctl.submitSetup()
      return
    }
    if (key.backspace || key.delete) { dispatch({ type: 'setup.edit', value: dropLast(s.setup[s.setup.field]) }); return }
    if (text !== '') dispatch({ type: 'setup.edit', value: s.setup[s.setup.field] + text.replace(/\n/g, '') })
    return
  }
  if (s.screen === 'unlock') {
    if (key.return) { dispatch({ type: 'unlock.submit' }); ctl.submitUnlock(); return }
    if (key.backspace || key.delete) { dispatch({ type: 'unlock.edit', value: dropLast(s.unlock.passphrase) }); return }
    if (text !== '') dispatch({ type: 'unlock.edit', value: s.unlock.passphrase + text.replace(/\n/g, '') })
    return
  }
  if (s.screen !== 'main') return

  // overlays
  const o = s.overlay
  if (o !== null) {
    if (key.escape) { dispatch({ type: 'overlay.close' }); return }
    if (o.kind === 'add') {
      if (key.return) { ctl.addContact(); return }
      if (key.backspace || key.delete) { dispatch({ type: 'add.edit', text: dropLast(o.text) }); return }
      if (key.ctrl && input === 'n') { dispatch({ type: 'overlay.open', overlay: 'invite' }); ctl.createInvite(); return }
      if (text !== '') dispatch({ type: 'add.edit', text: o.text + text.replace(/\s+/g, '') })
      return
    }
    if (input === 'q' && !key.ctrl) { quit(); return }
    if (o.kind === 'verify' && input === 'y') { ctl.verify(); return }
    if (key.ctrl && input === 'a') { dispatch({ type: 'overlay.open', overlay: 'add' }); return }
    if (key.ctrl && input === 'n' && o.kind !== 'invite') { dispatch({ type: 'overlay.open', overlay: 'invite' }); ctl.createInvite() }
    return
  }

  // main screen, either focus
  if (key.ctrl && input === 'n') { dispatch({ type: 'overlay.open', overlay: 'invite' }); ctl.createInvite(); return }
  if (key.ctrl && input === 'a') { dispatch({ type: 'overlay.open', overlay: 'add' }); return }
  if (key.tab) { dispatch({ type: 'focus.toggle' }); return }
  if (key.pageUp) {
    const conv = s.selectedId === null ? undefined : s.conversations[s.selectedId]
    dispatch({ type: 'scroll', delta: layout.page, max: layout.maxScroll })
    if (conv !== undefined && conv.scroll + layout.page >= layout.maxScroll) ctl.loadOlder()
    return
  }
  if (key.pageDown) { dispatch({ type: 'scroll', delta: -layout.page, max: layout.maxScroll }); return }

  if (s.focus === 'contacts') {
    if (key.upArrow) { dispatch({ type: 'select.move', delta: -1 }); return }
    if (key.downArrow) { dispatch({ type: 'select.move', delta: 1 }); return }
    if (key.rightArrow || key.return) { dispatch({ type: 'focus', focus: 'compose' }); return }
    if (input === 'q') { quit(); return }
    if (input === '?') { dispatch({ type: 'overlay.open', overlay: 'help' }); return }
    if (input === 'v' && s.selectedId !== null) {
      dispatch({ type: 'overlay.open', overlay: 'verify' })
      ctl.loadSafetyNumber(s.selectedId)
    }
    return
  }

  // compose
  if (key.return && key.meta) { dispatch({ type: 'compose.set', text: s.compose + '\n' }); return }
  if (key.return) { ctl.send(); return }
  if (key.escape || (key.leftArrow && s.compose === '')) { dispatch({ type: 'focus', focus: 'contacts' }); return }
  if (key.backspace || key.delete) { dispatch({ type: 'compose.set', text: dropLast(s.compose) }); return }
  if (text !== '') dispatch({ type: 'compose.set', text: s.compose + text })
}

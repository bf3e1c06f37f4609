/**
 * The one place the terminal UI talks to the node: it listens to the client's events and connection changes, makes
 * the API calls the user asks for, and dispatches what comes back to the reducer (state.ts). Owns the call
 * sequences (status → subscribe → contacts → messages, mark-read); knows nothing of rendering or keys.
 */
import { randomUUID } from 'node:crypto'
import { useEffect, useMemo, useRef } from 'react'
import { ERR, errorCode, explainError, cleanInvite } from './format.js'
import { PAGE_SIZE, conversationVisible, eventToAction, type Action, type TuiState } from './state.js'
import type { Contact, Message, NodeStatus, TuiClient, TuiEvent } from './types.js'

export interface Controller {
  submitSetup: () => void
  submitUnlock: () => void
  send: () => void
  loadOlder: () => void
  createInvite: () => void
  addContact: () => void
  loadSafetyNumber: (id: string) => void
  verify: () => void
}

export interface ControllerOptions {
  /** Deprecated and unused: node.init takes the first-run relay itself. */
  addRelay?: (multiaddr: string) => Promise<void>
}

/**
 * `state` is the rendered state (drives the effects: load a conversation, mark read); `getState` is the store's
 * current state, which the verbs read so that keys typed faster than React renders are never lost.
 */
export function useController (client: TuiClient, state: TuiState, getState: () => TuiState, dispatch: (a: Action) => void, opts: ControllerOptions = {}): Controller {
  const markedUpTo = useRef(new Map<string, number>())
  const loading = useRef(new Set<string>())

  // connection, events, first status
  useEffect(() => {
    let alive = true
    const safeDispatch = (a: Action): void => { if (alive) dispatch(a) }
    const onEvent = (e: TuiEvent): void => {
      const a = eventToAction(e)
      if (a !== undefined) safeDispatch(a)
    }
    const onDisconnect = (): void => { safeDispatch({ type: 'connection', connection: 'offline' }) }
    const onReconnect = (): void => {
      safeDispatch({ type: 'connection', connection: 'online' })
      void refresh()
    }
    const refresh = async (): Promise<void> => {
      try {
        const status = await client.call<NodeStatus>('node.status')
        safeDispatch({ type: 'status.loaded', status })
        if (!status.locked) await loadUnlocked()
      } catch (err) {
        safeDispatch({ type: 'error', error: explainError(err) })
      }
    }
    client.on('event', onEvent)
    client.on('disconnect', onDisconnect)
    client.on('reconnect', onReconnect)
    void refresh()
    return () => {
      alive = false
      client.off('event', onEvent)
      client.off('disconnect', onDisconnect)
      client.off('reconnect', onReconnect)
    }
  }, [client])

  /** After unlock: events first (so nothing between the list and the subscription is lost), then the contacts. */
  async function loadUnlocked (): Promise<void> {
    try {
      await client.subscribe()
    } catch (err) {
      dispatch({ type: 'error', error: explainError(err) })
    }
    const { contacts } = await client.call<{ contacts: Contact[] }>('contacts.list')
    dispatch({ type: 'contacts.loaded', contacts })
  }

  // load the open conversation's newest page when it is first selected
  const selected = state.selectedId
  const conv = selected === null ? undefined : state.conversations[selected]
  useEffect(() => {
    if (selected === null || state.screen !== 'main' || conv?.loaded === true || loading.current.has(selected)) return
    loading.current.add(selected)
    client.call<{ messages: Message[] }>('messages.list', { with: selected, limit: PAGE_SIZE }).then(
      r => { dispatch({ type: 'messages.loaded', with: selected, messages: r.messages, limit: PAGE_SIZE }) },
      err => { dispatch({ type: 'error', error: explainError(err) }) }
    ).finally(() => { loading.current.delete(selected) })
  }, [selected, conv?.loaded, state.screen])

  // mark read what is on screen
  const visible = conversationVisible(state)
  const newestIn = conv?.messages.reduce((n, m) => m.direction === 'in' && m.status !== 'read' ? Math.max(n, m.seq) : n, -1) ?? -1
  useEffect(() => {
    if (!visible || selected === null || newestIn < 0) return
    if ((markedUpTo.current.get(selected) ?? -1) >= newestIn) return
    markedUpTo.current.set(selected, newestIn)
    client.call('messages.markRead', { with: selected, upTo: newestIn }).then(
      () => { dispatch({ type: 'markRead.done', with: selected, upTo: newestIn }) },
      () => { markedUpTo.current.delete(selected) }
    )
  }, [visible, selected, newestIn])

  return useMemo<Controller>(() => ({
    submitSetup () {
      const form = getState().setup
      // the reducer validated the form on 'setup.submit' and set busy; call only then
      if (!form.busy) return
      const relay = form.relay.trim()
      // node.init writes the relay into config.json and uses it at once (PROTOCOL/API: node.init {relays})
      client.call<NodeStatus>('node.init', { name: form.name.trim(), passphrase: form.passphrase, ...(relay !== '' ? { relays: [relay] } : {}) }).then(async status => {
        dispatch({ type: 'status.loaded', status })
        if (!status.locked) await loadUnlocked()
      }, err => { dispatch({ type: 'init.failed', error: explainError(err, 'init') }) })
    },
    submitUnlock () {
      const form = getState().unlock
      if (!form.busy) return
      client.call<NodeStatus>('node.unlock', { passphrase: form.passphrase }).then(async status => {
        dispatch({ type: 'status.loaded', status })
        if (!status.locked) await loadUnlocked()
      }, err => { dispatch({ type: 'unlock.failed', error: explainError(err, 'unlock') }) })
    },
    send () {
      const s = getState()
      const to = s.selectedId
      const text = s.compose
      if (to === null || text.trim() === '') return
      dispatch({ type: 'compose.set', text: '' })
      client.call<Message>('messages.send', { to, text, idempotencyKey: randomUUID() }).then(
        message => { dispatch({ type: 'send.accepted', message }) },
        err => { dispatch({ type: 'send.failed', with: to, text, error: explainError(err, 'send') }) }
      )
    },
    loadOlder () {
      const s = getState()
      const id = s.selectedId
      const c = id === null ? undefined : s.conversations[id]
      if (id === null || c === undefined || !c.hasOlder || c.loadingOlder || c.messages.length === 0) return
      const before = c.messages[0].seq
      dispatch({ type: 'messages.loadingOlder', with: id })
      client.call<{ messages: Message[] }>('messages.list', { with: id, before, limit: PAGE_SIZE }).then(
        r => { dispatch({ type: 'messages.loaded', with: id, messages: r.messages, before, limit: PAGE_SIZE }) },
        err => { dispatch({ type: 'error', error: explainError(err) }) }
      )
    },
    createInvite () {
      client.call<{ invite: string, expiresAt: number }>('invite.create').then(
        r => { dispatch({ type: 'invite.created', invite: r.invite, expiresAt: r.expiresAt }) },
        err => {
          const error = errorCode(err) === -32603
            ? 'Could not create an invite. The node may not be reachable yet (an invite needs a relay reservation): try again in a moment.'
            : explainError(err)
          dispatch({ type: 'invite.failed', error })
        }
      )
    },
    addContact () {
      const o = getState().overlay
      if (o?.kind !== 'add' || o.busy) return
      const invite = cleanInvite(o.text)
      if (invite === '') return
      dispatch({ type: 'add.submitted' })
      client.call<Contact>('contacts.add', { invite }).then(
        contact => { dispatch({ type: 'add.succeeded', contact }) },
        err => {
          const data = (err as { data?: { contactId?: unknown } }).data
          const contactId = errorCode(err) === ERR.CONTACT_EXISTS && typeof data?.contactId === 'string' ? data.contactId : undefined
          const c = contactId === undefined ? undefined : getState().contacts.find(x => x.id === contactId)
          const error = c !== undefined ? `${c.name} is already a contact.` : explainError(err, 'add')
          dispatch(contactId === undefined ? { type: 'add.failed', error } : { type: 'add.failed', error, contactId })
        }
      )
    },
    loadSafetyNumber (id: string) {
      client.call<{ safetyNumber: string }>('contacts.safetyNumber', { id }).then(
        r => { dispatch({ type: 'safety.loaded', id, safetyNumber: r.safetyNumber }) },
        err => { dispatch({ type: 'verify.failed', error: explainError(err) }) }
      )
    },
    verify () {
      const o = getState().overlay
      if (o?.kind !== 'verify' || o.busy || o.safetyNumber === null) return
      dispatch({ type: 'verify.submitted' })
      client.call<Contact>('contacts.verify', { id: o.contactId }).then(
        contact => { dispatch({ type: 'contact.updated', contact }); dispatch({ type: 'overlay.close' }) },
        err => { dispatch({ type: 'verify.failed', error: explainError(err) }) }
      )
    }
  }), [client])
}

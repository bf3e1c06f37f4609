/** The messenger's delivery core (no libp2p): the Messenger, its Net seam, timings and typed errors. */
export { Messenger, type MessengerInit } from './messenger.js'
export { DEFAULT_TIMINGS, SEQ_STEP, type Timings } from './constants.js'
export { systemClock, type Clock } from './clock.js'
export type { Contact, ContactState } from './contacts.js'
export type { Message, MessageStatus, MessagePath } from './messages.js'
export type { Net, QueueCapability, InboundEnvelope, DirectPath } from './net.js'
export * from './errors.js'

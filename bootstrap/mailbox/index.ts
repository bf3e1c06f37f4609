/**
 * Relay mailbox (PROTOCOL.md §8): store-and-forward queues of opaque envelopes for offline peers, served over
 * /tern/mailbox/1.0.0. `mailboxServer(init)` is a libp2p service factory for `services.mailbox`;
 * `MailboxClient` is what a node uses to create, fill, drain and watch queues.
 */
import { MailboxService, type MailboxServerComponents, type MailboxServerInit } from './server.js'

export { MAILBOX_PROTOCOL } from './constants.js'
export { defaultMailboxLimits, resolveLimits, type MailboxLimits } from './limits.js'
export type { MailboxStats } from './store.js'
export { MailboxService, type MailboxEvent, type MailboxServerInit, type MailboxServerComponents } from './server.js'
export { MailboxClient, type MailboxClientInit, type QueueCapability, type FetchedEnvelope, type Subscription } from './client.js'
export { MailboxError, MailboxProtocolError, MailboxConnectionError, MailboxTimeoutError, Status } from './errors.js'

/** libp2p service factory: `services: { mailbox: mailboxServer({ dbPath, limits, allowOwners }) }`. */
export function mailboxServer (init: MailboxServerInit): (components: MailboxServerComponents) => MailboxService {
  return (components) => new MailboxService(components, init)
}

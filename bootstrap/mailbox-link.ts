/**
 * The one place the relay meets the mailbox service (bootstrap/mailbox/, PROTOCOL.md §8), through the interface
 * agreed with its author: `mailboxServer(init)` returns a libp2p service factory; the service has `stats()` and
 * `setLimits()` and closes its LevelDB in `stop()`.
 */
export {
  mailboxServer, defaultMailboxLimits, type MailboxLimits, type MailboxStats, type MailboxEvent, type MailboxService
} from './mailbox/index.js'

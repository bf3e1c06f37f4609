/**
 * The relay daemon's public surface (PROTOCOL.md §9): `createRelay` for tests and embedding, the config
 * resolver, and the CLI entry used by `tern relay`.
 */
export { createRelay, relayServerInit, MAILBOX_DB_DIR, type Relay, type RelayInit, type ReloadResult } from './relay.js'
export {
  resolveConfig, readConfigFile, defaultConfig, defaultDataDir, parseHostPort, ConfigError,
  DEFAULT_LISTEN, DEFAULT_RELAY_LIMITS, DEFAULT_CONNECTION_LIMITS, TERN_KAD_PROTOCOL,
  type RelayConfig, type RelayFlags, type RelayLimits, type ConnectionLimits
} from './config.js'
export { loadOrCreateIdentity, IDENTITY_FILE, IdentityFileError } from './identity-file.js'
export { createRelayLogger, writeListeningLine } from './log.js'
export { createRelayMetrics, serveMetrics, type RelayMetrics } from './metrics.js'
export { runRelayCommand } from './cli.js'

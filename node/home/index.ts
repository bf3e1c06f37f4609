/** The node's home directory: paths, config.json, the passphrase-wrapped keystore and the single-daemon lock. */
export { resolveHome, homePaths, ensureHome, TERN_HOME_ENV, type ResolveHomeInit, type HomePaths } from './paths.js'
export {
  readConfig, writeConfig, validateConfig, CONFIG_VERSION, MAX_NAME_CHARS, MAX_RELAYS,
  type TernConfig, type ConfigInput, type WriteConfigOptions
} from './config.js'
export {
  initKeystore, unlockKeystore, changePassphrase, updateSecrets, readKeystoreInfo, wipeKeys,
  DEFAULT_KDF, KDF_LIMITS, DB_KEY_BYTES, KEYSTORE_VERSION,
  type KdfParams, type KeystoreInit, type UnlockedKeys, type KeystoreInfo
} from './keystore.js'
export { acquireHomeLock, type HomeLock } from './lock.js'
export { writeFileAtomic, createFileExclusive, FILE_MODE, DIR_MODE } from './atomic.js'
export { initHome, openHome, type InitHomeInit, type OpenHome } from './open.js'

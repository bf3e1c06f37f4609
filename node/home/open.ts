/**
 * The daemon's start and `tern init` in one place: the order matters. init refuses a home that has keys.json or
 * config.json, then writes keys.json (exclusive) and config.json (exclusive); a crash in between leaves keys.json
 * without config.json, which `init` refuses (AlreadyInitializedError names the file to remove). openHome takes the lock FIRST, then reads the config, unlocks the keystore and opens the store; any
 * failure (a wrong passphrase included) releases the lock and leaves every file as it was.
 */
import { acquireHomeLock, type HomeLock } from './lock.js'
import { readConfig, writeConfig, validateConfig, type ConfigInput, type TernConfig } from './config.js'
import { initKeystore, unlockKeystore, wipeKeys, type KeystoreInit } from './keystore.js'
import { homePaths } from './paths.js'
import { openStore, type Store, type OpenStoreOptions } from '../store/db.js'
import { CONFIG_VERSION } from './config.js'
import { stat } from 'node:fs/promises'
import { AlreadyInitializedError } from '../errors.js'

export interface InitHomeInit extends KeystoreInit {
  config: ConfigInput
  passphrase: string
  /** Opaque named secrets (e.g. the identity key from protocol/identity). */
  secrets: Record<string, Uint8Array>
}

/** `tern init`: keystore (exclusive) + config (exclusive) + an empty encrypted store. Holds the lock meanwhile. */
export async function initHome (home: string, init: InitHomeInit): Promise<TernConfig> {
  validateConfig({ ...init.config, version: CONFIG_VERSION }) // fail before writing anything
  const lock = await acquireHomeLock(home)
  try {
    const paths = homePaths(home)
    for (const p of [paths.config, paths.keys]) {
      if (await stat(p).then(() => true, () => false)) throw new AlreadyInitializedError(p)
    }
    const keys = await initKeystore(home, init.passphrase, init.secrets, init)
    try {
      const config = await writeConfig(home, init.config, { exclusive: true })
      const store = await openStore(homePaths(home).db, keys.dbKey)
      await store.close()
      return config
    } finally {
      wipeKeys(keys)
    }
  } finally {
    await lock.release()
  }
}

export interface OpenHome {
  config: TernConfig
  /** Opaque named secrets; wiped by close(). */
  secrets: Record<string, Uint8Array>
  store: Store
  lock: HomeLock
  /** Closes the store, wipes the secrets, releases the lock. */
  close: () => Promise<void>
}

/** The daemon's start: lock, config, unlock, store. Throws (changing nothing) HomeInUseError, NotInitializedError,
 * ConfigError, WrongPassphraseError or CorruptStoreError. */
export async function openHome (home: string, passphrase: string, opts: OpenStoreOptions = {}): Promise<OpenHome> {
  const lock = await acquireHomeLock(home)
  try {
    const config = await readConfig(home)
    const keys = await unlockKeystore(home, passphrase)
    let store: Store
    try {
      store = await openStore(homePaths(home).db, keys.dbKey, opts)
    } catch (e) {
      wipeKeys(keys)
      throw e
    }
    keys.dbKey.fill(0) // the store keeps only its derived subkeys
    return {
      config,
      secrets: keys.secrets,
      store,
      lock,
      async close () {
        try { await store.close() } finally {
          wipeKeys(keys)
          await lock.release()
        }
      }
    }
  } catch (e) {
    await lock.release()
    throw e
  }
}

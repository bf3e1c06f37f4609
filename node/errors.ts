/**
 * Typed errors of the Tern node (home directory, keystore, lock, config, encrypted store). One class per failure
 * kind with a stable `code`; callers and tests branch on `code`, never on message text (shared/STYLE.md, principle 7).
 * Messages name files, fields and store keys (which hold no secrets), never passphrases, keys or plaintext.
 */
import { TernError } from '../protocol/errors.js'

export { TernError }

/** The passphrase did not unwrap the keystore. Nothing on disk was changed. */
export class WrongPassphraseError extends TernError {
  constructor (message = 'wrong passphrase') { super('ERR_WRONG_PASSPHRASE', message) }
}

/** The operation needs unlocked keys (or an open store) and they are locked (or the store is closed). */
export class LockedError extends TernError {
  constructor (message = 'locked: unlock with the passphrase first') { super('ERR_LOCKED', message) }
}

/** `init` on a home that already holds a keystore or config. */
export class AlreadyInitializedError extends TernError {
  readonly path: string
  constructor (path: string, message = `already initialised: ${path} exists`) {
    super('ERR_ALREADY_INITIALIZED', message)
    this.path = path
  }
}

/** The home has no keystore or config yet (run `tern init`). */
export class NotInitializedError extends TernError {
  readonly path: string
  constructor (path: string, message = `not initialised: ${path} does not exist (run \`tern init\`)`) {
    super('ERR_NOT_INITIALIZED', message)
    this.path = path
  }
}

/** Another live process holds this home's daemon lock (or its database). */
export class HomeInUseError extends TernError {
  /** PID of the holder when known. */
  readonly pid: number | undefined
  constructor (message: string, pid?: number) {
    super('ERR_HOME_IN_USE', message)
    this.pid = pid
  }
}

/**
 * Stored data failed a check: a keystore file that does not parse or whose checksum fails, a store value that does
 * not authenticate under its key, a database key that does not match the store.
 */
export class CorruptStoreError extends TernError {
  /** The file or the store key that failed, when known (never secret: keys are opaque ids). */
  readonly where: string | undefined
  constructor (message: string, where?: string) {
    super('ERR_CORRUPT_STORE', message)
    this.where = where
  }
}

/** One problem found in config.json. */
export interface ConfigIssue {
  /** JSON path of the field, e.g. `name`, `relays[1]`, or `(file)` for the file as a whole. */
  field: string
  problem: string
}

/** config.json (or a config about to be written) is invalid; `issues` lists every bad field. */
export class ConfigError extends TernError {
  readonly field: string
  readonly issues: ConfigIssue[]
  constructor (issues: ConfigIssue[]) {
    super('ERR_CONFIG', 'invalid config: ' + issues.map(i => `${i.field}: ${i.problem}`).join('; '))
    this.issues = issues
    this.field = issues[0]?.field ?? '(file)'
  }
}

/** An operation on a store (or KV) after `close()`. */
export class StoreClosedError extends TernError {
  constructor (message = 'store is closed') { super('ERR_STORE_CLOSED', message) }
}

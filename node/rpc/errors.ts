/**
 * Error codes of the JSON-RPC API (docs/API.md §Errors) and the bridge from typed errors (any Error with a string
 * `code` such as 'ERR_WRONG_PASSPHRASE') to them. Owns the numbers; knows nothing of sockets or methods.
 *
 * Application codes live in -32000..-32099, the range JSON-RPC 2.0 §5.1 reserves for implementation-defined errors.
 */
import { TernError } from '../../protocol/errors.js'

/** Every code this API answers with. The numbers are part of the contract: never renumber, only add. */
export const RpcErrorCode = Object.freeze({
  // JSON-RPC 2.0 §5.1
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  // Tern application codes
  LOCKED: -32001,
  WRONG_PASSPHRASE: -32002,
  ALREADY_INITIALISED: -32003,
  NOT_INITIALISED: -32004,
  UNAUTHORIZED: -32005,
  UNKNOWN_CONTACT: -32010,
  BLOCKED: -32011,
  BAD_INVITE: -32020,
  EXPIRED_INVITE: -32021,
  USED_INVITE: -32022,
  CONTACT_EXISTS: -32023,
  MESSAGE_TOO_LARGE: -32030,
  UNREACHABLE: -32040
} as const)

export type RpcErrorName = keyof typeof RpcErrorCode
export type RpcErrorNumber = typeof RpcErrorCode[RpcErrorName]

/** One line per code for docs/API.md and the OpenRPC document. */
export const RPC_ERROR_DESCRIPTIONS: Readonly<Record<RpcErrorName, string>> = Object.freeze({
  PARSE_ERROR: 'The line is not valid JSON.',
  INVALID_REQUEST: 'Not a JSON-RPC 2.0 request object (or an empty/oversized batch, or a line over MAX_LINE_BYTES).',
  METHOD_NOT_FOUND: 'No such method, or the method is documented but not served by this node build.',
  INVALID_PARAMS: 'Params do not match the method\'s schema; data.errors lists each violation with its path.',
  INTERNAL_ERROR: 'The node failed; the message carries no detail. Retry may succeed.',
  LOCKED: 'The node is locked: only node.init, node.unlock, node.status, auth and rpc.discover are served.',
  WRONG_PASSPHRASE: 'node.unlock with a passphrase that does not open the store.',
  ALREADY_INITIALISED: 'node.init on a node that already has an identity.',
  NOT_INITIALISED: 'node.unlock on a node that has no identity yet; call node.init.',
  UNAUTHORIZED: 'A TCP connection called a method before a successful auth, or auth had a wrong token.',
  UNKNOWN_CONTACT: 'No contact has this id.',
  BLOCKED: 'The contact is blocked.',
  BAD_INVITE: 'The invite is malformed or its signature does not verify.',
  EXPIRED_INVITE: 'The invite has expired.',
  USED_INVITE: 'The invite was already used.',
  CONTACT_EXISTS: 'The invite is from an existing contact.',
  UNREACHABLE: 'The network could not be reached for this (e.g. no relay reservation yet); try again later.',
  MESSAGE_TOO_LARGE: 'The message text exceeds the protocol limit (MAX_TEXT_BYTES of UTF-8).'
})

/** Typed error codes → RPC codes. Producers add their codes here, not in their own modules. */
export const TYPED_ERROR_CODES: Readonly<Record<string, RpcErrorNumber>> = Object.freeze({
  ERR_LOCKED: RpcErrorCode.LOCKED,
  ERR_WRONG_PASSPHRASE: RpcErrorCode.WRONG_PASSPHRASE,
  ERR_ALREADY_INITIALISED: RpcErrorCode.ALREADY_INITIALISED,
  ERR_ALREADY_INITIALIZED: RpcErrorCode.ALREADY_INITIALISED,
  ERR_NOT_INITIALISED: RpcErrorCode.NOT_INITIALISED,
  ERR_NOT_INITIALIZED: RpcErrorCode.NOT_INITIALISED,
  ERR_UNAUTHORIZED: RpcErrorCode.UNAUTHORIZED,
  ERR_UNKNOWN_CONTACT: RpcErrorCode.UNKNOWN_CONTACT,
  ERR_CONTACT_NOT_FOUND: RpcErrorCode.UNKNOWN_CONTACT,
  ERR_BLOCKED: RpcErrorCode.BLOCKED,
  ERR_CONTACT_BLOCKED: RpcErrorCode.BLOCKED,
  ERR_BAD_INVITE: RpcErrorCode.BAD_INVITE,
  ERR_INVITE_EXPIRED: RpcErrorCode.EXPIRED_INVITE,
  ERR_EXPIRED_INVITE: RpcErrorCode.EXPIRED_INVITE,
  ERR_INVITE_USED: RpcErrorCode.USED_INVITE,
  ERR_USED_INVITE: RpcErrorCode.USED_INVITE,
  ERR_CONTACT_EXISTS: RpcErrorCode.CONTACT_EXISTS,
  ERR_UNREACHABLE: RpcErrorCode.UNREACHABLE,
  ERR_CONFIG: RpcErrorCode.INVALID_PARAMS,
  ERR_MESSAGE_TOO_LARGE: RpcErrorCode.MESSAGE_TOO_LARGE,
  ERR_CONTENT_TOO_LARGE: RpcErrorCode.MESSAGE_TOO_LARGE
})

/** Any other 'ERR_INVITE_*' (format, version, signature, truncated, ...) is a bad invite. */
const INVITE_PREFIX = 'ERR_INVITE_'

/** The JSON-RPC error object (JSON-RPC 2.0 §5.1). */
export interface RpcErrorObject {
  code: number
  message: string
  data?: unknown
}

/** Throw this from a handler to answer with an exact code, message and data. */
export class RpcError extends TernError {
  readonly rpcCode: number
  readonly data: unknown
  constructor (rpcCode: number, message: string, data?: unknown) {
    super('ERR_RPC', message)
    this.rpcCode = rpcCode
    this.data = data
  }

  toJSON (): RpcErrorObject {
    return this.data === undefined
      ? { code: this.rpcCode, message: this.message }
      : { code: this.rpcCode, message: this.message, data: this.data }
  }
}

/** A call answered with a JSON-RPC error, as the client rejects it. `code` is the RPC number. */
export class RpcCallError extends Error {
  readonly code: number
  readonly data: unknown
  constructor (err: RpcErrorObject) {
    super(err.message)
    this.name = 'RpcCallError'
    this.code = err.code
    this.data = err.data
  }
}

/** The client's connection closed (or never opened) while a call was pending. */
export class RpcConnectionError extends TernError {
  constructor (message = 'RPC connection closed') { super('ERR_RPC_CONNECTION', message) }
}

/** A client call got no answer in time. */
export class RpcTimeoutError extends TernError {
  constructor (method: string) { super('ERR_RPC_TIMEOUT', `no answer to ${method} in time`) }
}

/** Another daemon answers on the socket the server was asked to bind. */
export class DaemonRunningError extends TernError {
  constructor (path: string) { super('ERR_DAEMON_RUNNING', `a daemon already serves ${path}`) }
}

/** The TCP listener was asked for a non-loopback host without `insecure`, or with a short token. */
export class InsecureListenError extends TernError {
  constructor (message: string) { super('ERR_INSECURE_LISTEN', message) }
}

/** Registering a handler that is not documented in the method table, or registering one twice. */
export class RegistryError extends TernError {
  constructor (message: string) { super('ERR_RPC_REGISTRY', message) }
}

export function rpcError (name: RpcErrorName, message: string = RPC_ERROR_DESCRIPTIONS[name], data?: unknown): RpcError {
  return new RpcError(RpcErrorCode[name], message, data)
}

/** The RPC code a typed error maps to, or undefined for an unmapped (internal) error. */
export function rpcCodeFor (code: string): RpcErrorNumber | undefined {
  const direct = TYPED_ERROR_CODES[code]
  if (direct !== undefined) return direct
  if (code.startsWith(INVITE_PREFIX)) return RpcErrorCode.BAD_INVITE
  return undefined
}

/**
 * Turn anything a handler threw into a JSON-RPC error object. Mapped typed errors keep their message and carry their
 * typed code in `data.code`; anything else becomes INTERNAL_ERROR with no detail (messages may hold content, §13).
 */
export function toRpcErrorObject (err: unknown): RpcErrorObject {
  if (err instanceof RpcError) return err.toJSON()
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    if (typeof code === 'string') {
      const rpc = rpcCodeFor(code)
      if (rpc !== undefined) {
        // an existing contact is named by id so that a client can open it (never content)
        const contactId = (err as { contactId?: unknown }).contactId
        return { code: rpc, message: err.message, data: typeof contactId === 'string' ? { code, contactId } : { code } }
      }
    }
  }
  return { code: RpcErrorCode.INTERNAL_ERROR, message: 'internal error' }
}

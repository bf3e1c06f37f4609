/**
 * The method registry and request dispatch: JSON-RPC 2.0 request checks, batches, the TCP auth gate, locked-mode
 * gating, param validation against the method table, result validation, and typed-error mapping. Transport-free: the
 * server hands it a parsed line and a connection; it hands back the response line. Knows nothing of sockets.
 */
import { JSONRPC_VERSION, MAX_BATCH_ENTRIES } from './constants.js'
import { RegistryError, RpcErrorCode, rpcError, toRpcErrorObject, type RpcErrorObject } from './errors.js'
import { COMPONENTS, METHODS, NOTIFICATIONS } from './methods.js'
import { buildOpenRpc, validate, type Components, type MethodSpec, type OpenRpcInfo } from './schema.js'
import { RPC_ERROR_DESCRIPTIONS, type RpcErrorName } from './errors.js'

export type TransportKind = 'unix' | 'tcp'

/** What a handler may know of the connection that called it. */
export interface RpcConnection {
  readonly id: number
  readonly transport: TransportKind
  /** Unix connections start authenticated; TCP ones after a successful `auth`. */
  authenticated: boolean
  /** Aborted when the connection closes (a client that disconnects mid-request). */
  readonly signal: AbortSignal
  /** Close the connection once queued responses are written. */
  close: () => void
}

export interface CallContext {
  connection: RpcConnection
  method: string
  /** Aborted when the connection closes. */
  signal: AbortSignal
  /** Run fn after this call's response (or its batch's response) is written: e.g. start an event replay. */
  afterResponse: (fn: () => void) => void
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (params: any, ctx: CallContext) => unknown

export type JsonRpcId = string | number | null

export interface JsonRpcResponse {
  jsonrpc: '2.0'
  id: JsonRpcId
  result?: unknown
  error?: RpcErrorObject
}

export interface DispatcherInit {
  /** The documented methods (default: the node's table in methods.ts). */
  methods?: readonly MethodSpec[]
  components?: Components
  /** True while the node has no open store; only servedWhenLocked methods answer. */
  isLocked?: () => boolean
  /** Check every result against its schema; a mismatch is logged and answered as INTERNAL_ERROR (default true). */
  validateResults?: boolean
  /** Most entries in a batch (default MAX_BATCH_ENTRIES). */
  maxBatchEntries?: number
  /** Called with every error that became INTERNAL_ERROR (log ids, never params: they may hold secrets). */
  onInternalError?: (err: unknown, method: string) => void
  info?: OpenRpcInfo
}

/** What dispatching one line produced. */
export interface DispatchOutcome {
  /** The response line without its newline, or undefined when nothing is to be sent (notifications only). */
  response: string | undefined
  /** Hooks registered by handlers, to run once the response is written. */
  after: Array<() => void>
  /** How many calls failed with UNAUTHORIZED (the server closes connections that keep trying). */
  unauthorized: number
}

const DEFAULT_INFO: OpenRpcInfo = {
  title: 'Tern node JSON-RPC API',
  version: '1.0.0',
  description: 'Newline-delimited JSON-RPC 2.0 over <home>/rpc.sock (and optionally TCP with a token). See docs/API.md.'
}

/** Methods the dispatcher answers itself unless a handler is registered. */
const DEFAULT_NODE_STATUS = 'node.status'

export class Dispatcher {
  private readonly specs: ReadonlyMap<string, MethodSpec>
  private readonly handlers = new Map<string, Handler>()
  private readonly components: Components
  private readonly isLocked: () => boolean
  private readonly validateResults: boolean
  private readonly maxBatchEntries: number
  private readonly onInternalError: (err: unknown, method: string) => void
  private readonly info: OpenRpcInfo
  private openRpcDoc: Record<string, unknown> | undefined

  constructor (init: DispatcherInit = {}) {
    const methods = init.methods ?? METHODS
    this.specs = new Map(methods.map(m => [m.name, m]))
    if (this.specs.size !== methods.length) throw new RegistryError('duplicate method in the method table')
    this.components = init.components ?? COMPONENTS
    this.isLocked = init.isLocked ?? (() => false)
    this.validateResults = init.validateResults ?? true
    this.maxBatchEntries = init.maxBatchEntries ?? MAX_BATCH_ENTRIES
    this.onInternalError = init.onInternalError ?? (() => {})
    this.info = init.info ?? DEFAULT_INFO
    this.handlers.set('rpc.discover', () => this.openRpc())
  }

  /** Serve `method` with `handler`. The method must be in the table and not served yet. */
  register (method: string, handler: Handler): this {
    if (!this.specs.has(method)) throw new RegistryError(`method ${method} is not in the method table; document it first`)
    if (this.handlers.has(method)) throw new RegistryError(`method ${method} is already registered`)
    this.handlers.set(method, handler)
    return this
  }

  /** register() each entry. */
  registerAll (handlers: Readonly<Record<string, Handler>>): this {
    for (const [method, handler] of Object.entries(handlers)) this.register(method, handler)
    return this
  }

  /** Stop serving a method (it stays documented). */
  unregister (method: string): boolean {
    return this.handlers.delete(method)
  }

  /** Documented methods, sorted by name. */
  documented (): MethodSpec[] {
    return [...this.specs.values()].sort((a, b) => a.name.localeCompare(b.name))
  }

  /** Methods answered now (registered, plus the defaults), sorted. Always a subset of documented(). */
  served (): string[] {
    const names = new Set(this.handlers.keys())
    names.add(DEFAULT_NODE_STATUS)
    return [...names].filter(n => this.specs.has(n)).sort()
  }

  spec (method: string): MethodSpec | undefined {
    return this.specs.get(method)
  }

  /** The OpenRPC document of the table (what rpc.discover answers and scripts/gen-openrpc.ts writes). */
  openRpc (): Record<string, unknown> {
    if (this.openRpcDoc === undefined) {
      this.openRpcDoc = buildOpenRpc({
        info: this.info,
        methods: [...this.specs.values()],
        components: this.components,
        errors: (Object.keys(RpcErrorCode) as RpcErrorName[]).map(name => ({ name, code: RpcErrorCode[name], message: RPC_ERROR_DESCRIPTIONS[name] })),
        notifications: NOTIFICATIONS
      })
    }
    return this.openRpcDoc
  }

  /**
   * Dispatch one framed line. Never throws: every failure becomes a JSON-RPC error response.
   * `builtins` are connection-level handlers the server supplies (auth, events.*); they take precedence.
   */
  async handleLine (line: string, connection: RpcConnection, builtins?: ReadonlyMap<string, Handler>): Promise<DispatchOutcome> {
    const outcome: DispatchOutcome = { response: undefined, after: [], unauthorized: 0 }
    let message: unknown
    try {
      message = JSON.parse(line)
    } catch {
      outcome.response = encode(errorResponse(null, { code: RpcErrorCode.PARSE_ERROR, message: 'parse error: not valid JSON' }))
      return outcome
    }
    let reply: JsonRpcResponse | JsonRpcResponse[] | undefined
    if (Array.isArray(message)) {
      if (message.length === 0) {
        reply = errorResponse(null, { code: RpcErrorCode.INVALID_REQUEST, message: 'invalid request: empty batch' })
      } else if (message.length > this.maxBatchEntries) {
        reply = errorResponse(null, {
          code: RpcErrorCode.INVALID_REQUEST,
          message: `invalid request: batch of more than ${this.maxBatchEntries} entries`,
          data: { maxBatchEntries: this.maxBatchEntries }
        })
      } else {
        const replies: JsonRpcResponse[] = []
        // Entries run in order, one at a time, so that [auth, call] and [unlock, call] batches mean what they say.
        for (const entry of message) {
          if (connection.signal.aborted) break
          const r = await this.handleRequest(entry, connection, builtins, outcome)
          if (r !== undefined) replies.push(r)
        }
        reply = replies.length > 0 ? replies : undefined
      }
    } else {
      reply = await this.handleRequest(message, connection, builtins, outcome)
    }
    if (reply !== undefined) outcome.response = this.encodeReply(reply)
    return outcome
  }

  private encodeReply (reply: JsonRpcResponse | JsonRpcResponse[]): string {
    try {
      return encode(reply)
    } catch (err) {
      // A handler returned something JSON cannot carry (a BigInt, a cycle).
      this.onInternalError(err, 'encode')
      const fix = (r: JsonRpcResponse): JsonRpcResponse => {
        try { encode(r); return r } catch { return errorResponse(r.id, { code: RpcErrorCode.INTERNAL_ERROR, message: 'internal error' }) }
      }
      return encode(Array.isArray(reply) ? reply.map(fix) : fix(reply))
    }
  }

  /** One request object (alone or in a batch). Returns undefined for notifications. */
  private async handleRequest (
    req: unknown, connection: RpcConnection, builtins: ReadonlyMap<string, Handler> | undefined, outcome: DispatchOutcome
  ): Promise<JsonRpcResponse | undefined> {
    if (req === null || typeof req !== 'object' || Array.isArray(req)) {
      return errorResponse(null, { code: RpcErrorCode.INVALID_REQUEST, message: 'invalid request: not an object' })
    }
    const r = req as Record<string, unknown>
    const hasId = Object.prototype.hasOwnProperty.call(r, 'id')
    const id = r.id
    const idOk = id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id))
    const replyId: JsonRpcId = idOk ? id as JsonRpcId : null
    if (hasId && !idOk) return errorResponse(null, { code: RpcErrorCode.INVALID_REQUEST, message: 'invalid request: id must be a string, number or null' })
    if (r.jsonrpc !== JSONRPC_VERSION) return errorResponse(replyId, { code: RpcErrorCode.INVALID_REQUEST, message: 'invalid request: jsonrpc must be "2.0"' })
    if (typeof r.method !== 'string') return errorResponse(replyId, { code: RpcErrorCode.INVALID_REQUEST, message: 'invalid request: method must be a string' })
    for (const key of Object.keys(r)) {
      if (key !== 'jsonrpc' && key !== 'method' && key !== 'params' && key !== 'id') {
        return errorResponse(replyId, { code: RpcErrorCode.INVALID_REQUEST, message: 'invalid request: unknown member' })
      }
    }
    const params = r.params
    if (params !== undefined && (params === null || typeof params !== 'object')) {
      return errorResponse(replyId, { code: RpcErrorCode.INVALID_REQUEST, message: 'invalid request: params must be an object' })
    }
    const isNotification = !hasId
    const method = r.method
    const answer = await this.call(method, params, connection, builtins, outcome)
    if (isNotification) return undefined
    return 'error' in answer ? errorResponse(replyId, answer.error) : { jsonrpc: JSONRPC_VERSION, id: replyId, result: answer.result }
  }

  private async call (
    method: string, params: unknown, connection: RpcConnection, builtins: ReadonlyMap<string, Handler> | undefined, outcome: DispatchOutcome
  ): Promise<{ result: unknown } | { error: RpcErrorObject }> {
    // The auth gate comes first: an unauthenticated caller learns nothing, not even which methods exist.
    if (!connection.authenticated && method !== 'auth') {
      outcome.unauthorized++
      return { error: rpcError('UNAUTHORIZED', 'unauthorized: call auth {token} first').toJSON() }
    }
    const spec = this.specs.get(method)
    if (spec === undefined) return { error: { code: RpcErrorCode.METHOD_NOT_FOUND, message: 'method not found' } }
    if (!spec.servedWhenLocked && this.isLocked()) return { error: rpcError('LOCKED', 'locked: unlock the node first').toJSON() }
    const handler = builtins?.get(method) ?? this.handlers.get(method) ?? this.defaultHandler(method)
    if (handler === undefined) return { error: { code: RpcErrorCode.METHOD_NOT_FOUND, message: 'method not found', data: { reason: 'not served by this node' } } }
    if (Array.isArray(params)) {
      return { error: { code: RpcErrorCode.INVALID_PARAMS, message: 'invalid params: params must be an object (by-name)' } }
    }
    const p = (params ?? {}) as Record<string, unknown>
    const violations = validate(spec.params, p, this.components, 'params')
    if (violations.length > 0) return { error: { code: RpcErrorCode.INVALID_PARAMS, message: 'invalid params', data: { errors: violations } } }
    const ctx: CallContext = {
      connection,
      method,
      signal: connection.signal,
      afterResponse: (fn) => { outcome.after.push(fn) }
    }
    let result: unknown
    try {
      result = await handler(p, ctx)
    } catch (err) {
      const error = toRpcErrorObject(err)
      if (error.code === RpcErrorCode.INTERNAL_ERROR) this.onInternalError(err, method)
      if (error.code === RpcErrorCode.UNAUTHORIZED) outcome.unauthorized++
      return { error }
    }
    if (result === undefined) result = null
    if (this.validateResults) {
      const bad = validate(spec.result, result, this.components, 'result')
      if (bad.length > 0) {
        this.onInternalError(new RegistryError(`${method} returned a result outside its schema: ${bad.map(v => `${v.path} ${v.message}`).join('; ')}`), method)
        return { error: { code: RpcErrorCode.INTERNAL_ERROR, message: 'internal error' } }
      }
    }
    return { result }
  }

  private defaultHandler (method: string): Handler | undefined {
    if (method === DEFAULT_NODE_STATUS) return () => ({ locked: this.isLocked() })
    return undefined
  }
}

function errorResponse (id: JsonRpcId, error: RpcErrorObject): JsonRpcResponse {
  return { jsonrpc: JSONRPC_VERSION, id, error }
}

function encode (value: unknown): string {
  return JSON.stringify(value)
}

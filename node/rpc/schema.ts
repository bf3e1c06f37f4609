/**
 * A small declarative schema language for method params and results: types, required fields, string lengths (chars
 * and UTF-8 bytes), integer ranges, enums, arrays, nullability and named components. One schema both validates at the
 * RPC boundary and emits the JSON Schema inside docs/openrpc.json, so the contract has a single source of truth.
 * Knows nothing of sockets or of what the methods do.
 */

interface Common {
  description?: string
  /** null is accepted as well as the type. */
  nullable?: boolean
}
export interface StringSchema extends Common {
  type: 'string'
  minLength?: number
  /** Limit in Unicode code points, as JSON Schema counts. */
  maxLength?: number
  /** Limit in UTF-8 bytes (a Tern extension, emitted as x-maxBytes). */
  maxBytes?: number
  pattern?: string
  enum?: readonly string[]
}
export interface IntegerSchema extends Common {
  type: 'integer'
  minimum?: number
  maximum?: number
}
export interface BooleanSchema extends Common { type: 'boolean' }
export interface ObjectSchema extends Common {
  type: 'object'
  properties: Readonly<Record<string, Schema>>
  required?: readonly string[]
  /** Unknown keys are rejected unless this is true. */
  additionalProperties?: boolean
}
export interface ArraySchema extends Common {
  type: 'array'
  items: Schema
  maxItems?: number
}
/** A reference to a named component schema (docs: #/components/schemas/<ref>). */
export interface RefSchema extends Common { ref: string }
/** Any JSON value (used only for documents such as rpc.discover's result). */
export interface AnySchema extends Common { type: 'any' }

export type Schema = StringSchema | IntegerSchema | BooleanSchema | ObjectSchema | ArraySchema | RefSchema | AnySchema

/** Named schemas that RefSchema points into. */
export type Components = Readonly<Record<string, Schema>>

export interface SchemaViolation {
  /** JSON-pointer-like path, e.g. "params.to" or "result.contacts[3].name". */
  path: string
  message: string
}

/** Most violations reported for one value (the rest are dropped). */
export const MAX_VIOLATIONS = 16

const MAX_SAFE = Number.MAX_SAFE_INTEGER

function codePoints (s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) i++
    }
    n++
  }
  return n
}

function typeOf (v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number' && Number.isInteger(v)) return 'integer'
  return typeof v
}

const patternCache = new Map<string, RegExp>()
function regex (p: string): RegExp {
  let r = patternCache.get(p)
  if (r === undefined) { r = new RegExp(p, 'u'); patternCache.set(p, r) }
  return r
}

/** Validate a value; returns the violations (empty when valid). */
export function validate (schema: Schema, value: unknown, components: Components = {}, path = 'params'): SchemaViolation[] {
  const out: SchemaViolation[] = []
  check(schema, value, components, path, out, 0)
  return out
}

/** Deepest nesting the validator follows (guards recursive component references). */
const MAX_DEPTH = 32

function check (schema: Schema, value: unknown, components: Components, path: string, out: SchemaViolation[], depth: number): void {
  if (out.length >= MAX_VIOLATIONS) return
  const add = (message: string): void => { if (out.length < MAX_VIOLATIONS) out.push({ path, message }) }
  if (depth > MAX_DEPTH) { add('nested too deep'); return }
  if (value === null && schema.nullable === true) return
  if ('ref' in schema) {
    const target = components[schema.ref]
    if (target === undefined) throw new Error(`unknown schema component ${schema.ref}`)
    check(target, value, components, path, out, depth + 1)
    return
  }
  switch (schema.type) {
    case 'any':
      return
    case 'string': {
      if (typeof value !== 'string') { add(`expected string, got ${typeOf(value)}`); return }
      if (schema.enum !== undefined && !schema.enum.includes(value)) { add(`expected one of ${schema.enum.join(', ')}`); return }
      if (schema.maxBytes !== undefined && value.length > schema.maxBytes) { add(`longer than ${schema.maxBytes} bytes`); return }
      if (schema.maxBytes !== undefined && Buffer.byteLength(value, 'utf8') > schema.maxBytes) { add(`longer than ${schema.maxBytes} bytes`); return }
      if (schema.maxLength !== undefined && value.length > schema.maxLength && codePoints(value) > schema.maxLength) {
        add(`longer than ${schema.maxLength} characters`); return
      }
      if (schema.minLength !== undefined && codePoints(value) < schema.minLength) { add(`shorter than ${schema.minLength} characters`); return }
      if (schema.pattern !== undefined && !regex(schema.pattern).test(value)) add(`does not match ${schema.pattern}`)
      return
    }
    case 'integer': {
      if (typeof value !== 'number' || !Number.isInteger(value)) { add(`expected integer, got ${typeOf(value)}`); return }
      if (!Number.isSafeInteger(value)) { add('outside the safe integer range'); return }
      if (schema.minimum !== undefined && value < schema.minimum) add(`less than ${schema.minimum}`)
      else if (schema.maximum !== undefined && value > schema.maximum) add(`greater than ${schema.maximum}`)
      return
    }
    case 'boolean':
      if (typeof value !== 'boolean') add(`expected boolean, got ${typeOf(value)}`)
      return
    case 'array': {
      if (!Array.isArray(value)) { add(`expected array, got ${typeOf(value)}`); return }
      if (schema.maxItems !== undefined && value.length > schema.maxItems) { add(`more than ${schema.maxItems} items`); return }
      for (let i = 0; i < value.length && out.length < MAX_VIOLATIONS; i++) check(schema.items, value[i], components, `${path}[${i}]`, out, depth + 1)
      return
    }
    case 'object': {
      if (typeOf(value) !== 'object') { add(`expected object, got ${typeOf(value)}`); return }
      const obj = value as Record<string, unknown>
      for (const key of schema.required ?? []) {
        if (!Object.prototype.hasOwnProperty.call(obj, key) || obj[key] === undefined) {
          if (out.length < MAX_VIOLATIONS) out.push({ path: `${path}.${key}`, message: 'required' })
        }
      }
      for (const key of Object.keys(obj)) {
        if (out.length >= MAX_VIOLATIONS) return
        const sub = Object.prototype.hasOwnProperty.call(schema.properties, key) ? schema.properties[key] : undefined
        if (sub === undefined) {
          if (schema.additionalProperties !== true) out.push({ path: `${path}.${safeKey(key)}`, message: 'unknown property' })
          continue
        }
        if (obj[key] === undefined) continue
        check(sub, obj[key], components, `${path}.${key}`, out, depth + 1)
      }
    }
  }
}

/** Keys echoed back in errors are clipped so an attacker's 1 MiB key is not reflected whole. */
function safeKey (key: string): string {
  return key.length > 64 ? `${key.slice(0, 64)}…` : key
}

/** JSON Schema (draft 2020-12 subset, as OpenRPC 1.3 embeds) for a schema; refs point at #/components/schemas. */
export function toJsonSchema (schema: Schema): Record<string, unknown> {
  const base = jsonSchemaOf(schema)
  if (schema.description !== undefined) base.description = schema.description
  if (schema.nullable === true) {
    if ('$ref' in base) return { oneOf: [base, { type: 'null' }] }
    if (typeof base.type === 'string') base.type = [base.type, 'null']
  }
  return base
}

function jsonSchemaOf (schema: Schema): Record<string, unknown> {
  if ('ref' in schema) return { $ref: `#/components/schemas/${schema.ref}` }
  switch (schema.type) {
    case 'any': return {}
    case 'string': {
      const s: Record<string, unknown> = { type: 'string' }
      if (schema.enum !== undefined) s.enum = [...schema.enum]
      if (schema.minLength !== undefined) s.minLength = schema.minLength
      const maxLength = Math.min(schema.maxLength ?? Infinity, schema.maxBytes ?? Infinity)
      if (maxLength !== Infinity) s.maxLength = maxLength
      if (schema.maxBytes !== undefined) s['x-maxBytes'] = schema.maxBytes
      if (schema.pattern !== undefined) s.pattern = schema.pattern
      return s
    }
    case 'integer': {
      const s: Record<string, unknown> = { type: 'integer', minimum: schema.minimum ?? -MAX_SAFE, maximum: schema.maximum ?? MAX_SAFE }
      return s
    }
    case 'boolean': return { type: 'boolean' }
    case 'array': {
      const s: Record<string, unknown> = { type: 'array', items: toJsonSchema(schema.items) }
      if (schema.maxItems !== undefined) s.maxItems = schema.maxItems
      return s
    }
    case 'object': {
      const properties: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(schema.properties)) properties[k] = toJsonSchema(v)
      const s: Record<string, unknown> = { type: 'object', properties }
      if (schema.required !== undefined && schema.required.length > 0) s.required = [...schema.required]
      s.additionalProperties = schema.additionalProperties === true
      return s
    }
  }
}

/** Documentation and contract of one method. The method table (methods.ts) is a list of these. */
export interface MethodSpec {
  name: string
  summary: string
  description?: string
  /** Params are by-name: always an object (absent params mean {}). */
  params: ObjectSchema
  result: Schema
  /** Served while the node is locked (node.init, node.unlock, node.status, auth, rpc.discover). */
  servedWhenLocked?: boolean
  /** Application error names this method may answer with (documentation). */
  errors?: readonly string[]
}

/** A notification the server sends (documented under x-notifications: OpenRPC has no notification object). */
export interface NotificationSpec {
  name: string
  summary: string
  params: Schema
}

export interface OpenRpcInfo {
  title: string
  version: string
  description?: string
}

/** The OpenRPC 1.3 document for a method table (docs/openrpc.json is this, pretty-printed). */
export function buildOpenRpc (opts: {
  info: OpenRpcInfo
  methods: readonly MethodSpec[]
  components: Components
  errors: ReadonlyArray<{ name: string, code: number, message: string }>
  notifications?: readonly NotificationSpec[]
}): Record<string, unknown> {
  const errorByName = new Map(opts.errors.map(e => [e.name, e]))
  const methods = [...opts.methods].sort((a, b) => a.name.localeCompare(b.name)).map(m => {
    const required = new Set(m.params.required ?? [])
    const doc: Record<string, unknown> = {
      name: m.name,
      summary: m.summary,
      paramStructure: 'by-name',
      params: Object.entries(m.params.properties).map(([name, schema]) => {
        const p: Record<string, unknown> = { name, required: required.has(name), schema: toJsonSchema(schema) }
        if (schema.description !== undefined) p.description = schema.description
        return p
      }),
      result: { name: 'result', schema: toJsonSchema(m.result) },
      'x-servedWhenLocked': m.servedWhenLocked === true
    }
    if (m.description !== undefined) doc.description = m.description
    if (m.errors !== undefined && m.errors.length > 0) {
      doc.errors = m.errors.map(name => {
        const e = errorByName.get(name)
        if (e === undefined) throw new Error(`method ${m.name} documents unknown error ${name}`)
        return { code: e.code, message: e.name, data: e.message }
      })
    }
    return doc
  })
  const schemas: Record<string, unknown> = {}
  for (const name of Object.keys(opts.components).sort()) schemas[name] = toJsonSchema(opts.components[name] as Schema)
  const errors: Record<string, unknown> = {}
  for (const e of opts.errors) errors[e.name] = { code: e.code, message: e.name, data: e.message }
  const doc: Record<string, unknown> = {
    openrpc: '1.3.2',
    info: { ...opts.info },
    methods,
    components: { schemas, errors }
  }
  if (opts.notifications !== undefined) {
    doc['x-notifications'] = opts.notifications.map(n => ({ name: n.name, summary: n.summary, params: toJsonSchema(n.params) }))
  }
  return doc
}

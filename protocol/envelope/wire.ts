/**
 * Strict protobuf wire check (PROTOCOL.md §7.4), run over the bytes before the generated protons decoder sees them.
 *
 * protons decodes leniently: a sub-message may run past its declared length, a field with the wrong wire type is read as
 * if it had the right one, a duplicated field silently replaces the first, an invalid UTF-8 string is decoded with
 * replacement characters, and a packed or overlong varint can shift the reader. Any of these would let two
 * implementations read different messages from the same bytes. This walker rejects them all, so protons only ever
 * decodes bytes whose meaning is unambiguous. It knows nothing about Tern's messages beyond the schema it is given.
 */
import { MaxLengthError } from 'protons-runtime'
import { InvalidFieldError, MalformedProtobufError, TooManyItemsError } from './errors.js'

/** How a known field is encoded: varint (`uint64` ≤ 2^53 − 1, `enum` from a closed set) or length-delimited. */
export type FieldKind = 'uint64' | 'enum' | 'bytes' | 'string' | 'message'

export interface FieldRule {
  name: string
  kind: FieldKind
  /** Repeated fields may occur any number of times (unpacked only); other fields at most once. */
  repeated?: boolean
  /** The sub-message schema, for `kind: 'message'`. */
  message?: WireSchema
  /** The allowed values, for `kind: 'enum'`. */
  values?: readonly number[]
}

export interface WireSchema {
  name: string
  fields: Readonly<Record<number, FieldRule>>
}

const WIRE_VARINT = 0
const WIRE_I64 = 1
const WIRE_LEN = 2
const WIRE_I32 = 5
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

class Walker {
  pos = 0
  constructor (readonly buf: Uint8Array, readonly root: string) {}

  malformed (detail: string): MalformedProtobufError {
    return new MalformedProtobufError(this.root, `${detail} at offset ${this.pos}`)
  }

  /** Reads a minimally encoded varint of at most `maxBytes` bytes; exact below 2^53, monotone above. */
  varint (end: number, maxBytes: number): number {
    let value = 0
    let mul = 1
    for (let i = 0; i < maxBytes; i++) {
      if (this.pos >= end) throw this.malformed('truncated varint')
      const b = this.buf[this.pos++]
      if (i === 9 && b > 1) throw this.malformed('varint overflows 64 bits')
      value += (b & 0x7f) * mul
      if (b < 0x80) {
        if (b === 0 && i > 0) throw this.malformed('overlong varint')
        return value
      }
      mul *= 128
    }
    throw this.malformed('varint too long')
  }

  /** A tag or a length: a varint below 2^32 (at most 5 bytes), as protons reads them. */
  u32 (end: number): number {
    const v = this.varint(end, 5)
    if (v > 0xffffffff) throw this.malformed('varint exceeds 32 bits')
    return v
  }

  skip (n: number, end: number): void {
    if (n > end - this.pos) throw this.malformed('truncated field')
    this.pos += n
  }

  message (end: number, schema: WireSchema, path: string): void {
    const seen = new Set<number>()
    while (this.pos < end) {
      const tag = this.u32(end)
      const field = tag >>> 3
      const wire = tag & 7
      if (field === 0) throw this.malformed('field number 0')
      const rule = schema.fields[field]
      if (rule === undefined) { this.unknown(wire, end); continue }
      if (rule.repeated !== true) {
        if (seen.has(field)) throw this.malformed(`duplicate field ${path}.${rule.name}`)
        seen.add(field)
      }
      const varint = rule.kind === 'uint64' || rule.kind === 'enum'
      if (wire !== (varint ? WIRE_VARINT : WIRE_LEN)) throw this.malformed(`wrong wire type ${wire} for ${path}.${rule.name}`)
      if (varint) {
        const v = this.varint(end, 10)
        if (rule.kind === 'uint64' && v > Number.MAX_SAFE_INTEGER) {
          throw new InvalidFieldError(`${path}.${rule.name}`, 'integer above 2^53 - 1')
        }
        if (rule.kind === 'enum' && !(rule.values ?? []).includes(v)) {
          throw new InvalidFieldError(`${path}.${rule.name}`, `unknown enum value ${v}`)
        }
        continue
      }
      const len = this.u32(end)
      if (len > end - this.pos) throw this.malformed(`truncated ${path}.${rule.name}`)
      const stop = this.pos + len
      if (rule.kind === 'message' && rule.message !== undefined) {
        this.message(stop, rule.message, `${path}.${rule.name}`)
      } else {
        if (rule.kind === 'string') {
          try { utf8.decode(this.buf.subarray(this.pos, stop)) } catch { throw this.malformed(`invalid UTF-8 in ${path}.${rule.name}`) }
        }
        this.pos = stop
      }
    }
  }

  /** Unknown fields are skipped (forward compatibility) if their wire type is one proto3 uses. */
  unknown (wire: number, end: number): void {
    switch (wire) {
      case WIRE_VARINT: this.varint(end, 10); break
      case WIRE_I64: this.skip(8, end); break
      case WIRE_LEN: this.skip(this.u32(end), end); break
      case WIRE_I32: this.skip(4, end); break
      default: throw this.malformed(`unsupported wire type ${wire}`)
    }
  }
}

/** Throws MalformedProtobufError or InvalidFieldError unless `buf` is a strictly well-formed `schema` message. */
export function checkWire (buf: Uint8Array, schema: WireSchema): void {
  const w = new Walker(buf, schema.name)
  w.message(buf.length, schema, schema.name)
}

/**
 * checkWire, then the generated decoder (which enforces the repeated-field limits it is given while parsing). Any other
 * failure of the generated decoder, which checkWire should make impossible, still surfaces as MalformedProtobufError.
 */
export function strictDecode<T> (buf: Uint8Array, schema: WireSchema, decode: (buf: Uint8Array) => T): T {
  checkWire(buf, schema)
  try {
    return decode(buf)
  } catch (err) {
    if (err instanceof MaxLengthError) throw new TooManyItemsError(schema.name, err.message)
    throw new MalformedProtobufError(schema.name, 'rejected by the generated decoder')
  }
}

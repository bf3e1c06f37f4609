/**
 * Fixed-layout binary codec helpers shared by Tern's handshake-layer codecs (§3–§5). The Reader enforces bounds as it
 * reads and throws the caller's typed errors, so every decoder keeps its own error classes and the fixed rejection order.
 */
import { fromUtf8, readU32be, u32be, u64be, utf8 } from '../crypto/index.js'

export interface DecodeErrors {
  /** The input ends before a field (or before a length-prefixed field's end). */
  truncated: (what: string) => Error
  /** Bytes that cannot be a valid encoding (trailing bytes, bad UTF-8, out-of-range integer, bad enum). */
  malformed: (what: string) => Error
  /** A length prefix over its field's limit. */
  limit: (what: string) => Error
}

export class Reader {
  offset = 0
  constructor (readonly bytes: Uint8Array, readonly errors: DecodeErrors) {}

  get remaining (): number { return this.bytes.length - this.offset }

  take (n: number, what: string): Uint8Array {
    if (this.remaining < n) throw this.errors.truncated(what)
    const out = this.bytes.slice(this.offset, this.offset + n)
    this.offset += n
    return out
  }

  u8 (what: string): number { return this.take(1, what)[0] as number }
  u16 (what: string): number { const b = this.take(2, what); return ((b[0] as number) << 8) | (b[1] as number) }
  u32 (what: string): number { return readU32be(this.take(4, what)) }
  u64 (what: string): number {
    const b = this.take(8, what)
    const v = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, false)
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.errors.malformed(`${what}: out of range`)
    return Number(v)
  }

  /** A field prefixed by a u8 (width 1) or u16be (width 2) length, checked against `max` before its bytes are read. */
  vec (width: 1 | 2, max: number, what: string): Uint8Array {
    const n = width === 1 ? this.u8(`${what} length`) : this.u16(`${what} length`)
    if (n > max) throw this.errors.limit(`${what}: ${n} bytes > ${max}`)
    return this.take(n, what)
  }

  string (width: 1 | 2, max: number, what: string): string {
    const b = this.vec(width, max, what)
    try { return fromUtf8(b) } catch { throw this.errors.malformed(`${what}: invalid UTF-8`) }
  }

  end (what: string): void {
    if (this.remaining !== 0) throw this.errors.malformed(`${what}: ${this.remaining} trailing bytes`)
  }
}

export class Writer {
  private readonly parts: Uint8Array[] = []
  bytes (b: Uint8Array): this { this.parts.push(b); return this }
  u8 (n: number): this { this.parts.push(Uint8Array.of(n & 0xff)); return this }
  u16 (n: number): this { this.parts.push(Uint8Array.of((n >> 8) & 0xff, n & 0xff)); return this }
  u32 (n: number): this { this.parts.push(u32be(n)); return this }
  u64 (n: number): this { this.parts.push(u64be(n)); return this }
  vec (width: 1 | 2, b: Uint8Array): this { return (width === 1 ? this.u8(b.length) : this.u16(b.length)).bytes(b) }
  string (width: 1 | 2, s: string): this { return this.vec(width, utf8(s)) }
  finish (): Uint8Array {
    let n = 0
    for (const p of this.parts) n += p.length
    const out = new Uint8Array(n)
    let o = 0
    for (const p of this.parts) { out.set(p, o); o += p.length }
    return out
  }
}

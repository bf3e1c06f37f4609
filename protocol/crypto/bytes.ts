/**
 * Byte helpers used across protocol/: argument checks at public boundaries (after noble's `abytes`),
 * constant-time comparison, concatenation, wiping and fixed-width integers.
 */
import { timingSafeEqual } from 'node:crypto'
import { InvalidArgumentError } from '../errors.js'

/** Asserts `value` is a Uint8Array (of `length` bytes when given); returns it. */
export function abytes (value: unknown, length: number | undefined, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(`${name}: expected Uint8Array`)
  if (length !== undefined && value.length !== length) {
    throw new InvalidArgumentError(`${name}: expected ${length} bytes, got ${value.length}`)
  }
  return value
}

export function concat (...parts: Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}

/** Constant-time equality (lengths are not secret). */
export function equal (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  return timingSafeEqual(a, b)
}

/** Overwrites a buffer with zeros. */
export function wipe (...bufs: Array<Uint8Array | undefined>): void {
  for (const b of bufs) b?.fill(0)
}

export function u32be (n: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, n >>> 0, false)
  return out
}

export function readU32be (b: Uint8Array, offset = 0): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(offset, false)
}

export function u64be (n: number): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt(n), false)
  return out
}

const enc = new TextEncoder()
const dec = new TextDecoder('utf-8', { fatal: true })
export const utf8 = (s: string): Uint8Array => enc.encode(s)
export const fromUtf8 = (b: Uint8Array): string => dec.decode(b)

export const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
export function fromHex (s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new InvalidArgumentError('bad hex')
  return new Uint8Array(Buffer.from(s, 'hex'))
}
export const toBase64url = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url')
export function fromBase64url (s: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new InvalidArgumentError('bad base64url')
  return new Uint8Array(Buffer.from(s, 'base64url'))
}

/** Copies a Buffer/view into a plain Uint8Array that owns its memory. */
export function copy (b: Uint8Array): Uint8Array {
  return new Uint8Array(b)
}

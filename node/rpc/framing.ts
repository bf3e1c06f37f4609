/**
 * Newline-delimited JSON framing (docs/API.md §Framing): one JSON value per line, '\n' terminated, optional '\r'
 * before it, blank lines ignored. The decoder enforces the line limit while reading: a line that grows past the
 * limit is reported at once and nothing more of it is kept. Owns bytes ↔ lines; knows nothing of JSON-RPC.
 */
import { MAX_LINE_BYTES } from './constants.js'

const NL = 0x0a
const CR = 0x0d

/** Result of feeding a chunk: the complete lines, and whether the limit was crossed (the decoder is then dead). */
export interface DecodeResult {
  lines: string[]
  tooLong: boolean
}

/** Incremental line splitter with a hard per-line byte limit ('\n' excluded, a '\r' before it included). */
export class LineDecoder {
  private readonly maxLineBytes: number
  private parts: Buffer[] = []
  private size = 0
  private dead = false

  constructor (maxLineBytes: number = MAX_LINE_BYTES) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) throw new RangeError('maxLineBytes must be a positive integer')
    this.maxLineBytes = maxLineBytes
  }

  /** Bytes of the incomplete line held now (never more than maxLineBytes). */
  get buffered (): number { return this.size }

  push (chunk: Buffer): DecodeResult {
    const lines: string[] = []
    if (this.dead) return { lines, tooLong: true }
    let start = 0
    while (start < chunk.length) {
      const nl = chunk.indexOf(NL, start)
      const end = nl === -1 ? chunk.length : nl
      if (this.size + (end - start) > this.maxLineBytes) {
        this.kill()
        return { lines, tooLong: true }
      }
      if (nl === -1) {
        this.parts.push(chunk.subarray(start))
        this.size += chunk.length - start
        break
      }
      const piece = chunk.subarray(start, end)
      const line = this.parts.length === 0 ? piece : Buffer.concat([...this.parts, piece], this.size + piece.length)
      this.parts = []
      this.size = 0
      const text = (line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, line.length - 1) : line).toString('utf8')
      if (text.trim() !== '') lines.push(text)
      start = nl + 1
    }
    return { lines, tooLong: false }
  }

  private kill (): void {
    this.dead = true
    this.parts = []
    this.size = 0
  }
}

/** One JSON value as a framed line. JSON.stringify never emits a raw '\n', so the frame is unambiguous. */
export function encodeLine (value: unknown): string {
  return JSON.stringify(value) + '\n'
}

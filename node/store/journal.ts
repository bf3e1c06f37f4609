/**
 * The store's write-ahead journal: a preallocated file beside LevelDB's own (inside the database directory, where
 * LevelDB ignores names it does not know) into which every KV batch is written, and fdatasync'd when it must be
 * durable, by the event loop itself, before LevelDB sees it. LevelDB then gets the batches a little later, several at
 * a time and without fsync; its log files are fsync'd before the journal starts again (level-kv.ts). Why: a durable LevelDB write costs two hand-offs between
 * the event loop and the thread pool plus LevelDB's bookkeeping on top of the fsync, and on a small virtual machine
 * each hand-off waits for an idle CPU to wake (measured on the node bench: 350-800 µs per durable write against
 * ~190 µs for the fdatasync alone). Overwriting preallocated blocks also spares the file system a journal commit that
 * an append (LevelDB's log grows) needs.
 *
 * File: records back to back from offset 0, the rest of the file stale or zero.
 *   record = magic u32 "TJRN" | epoch u32 | seq u32 | bodyLength u32 | BLAKE2b-128(first 16 bytes || body) | body
 *   body   = count u32 | count × (type u8 (1 put, 2 del) | keyLength u16 | key (ASCII) | [valueLength u32 | value])
 * All integers little-endian. The records that count are those from offset 0 of the first record's epoch with
 * consecutive seqs and a valid hash: a torn or stale record ends them. The journal starts again at offset 0 with a
 * new random epoch only once every record before is durable in LevelDB (reset()), so what is read back on open is
 * always a run of the latest batches, in order: replaying it over the database (puts and deletes of whole values)
 * gives exactly the state they left, whether or not LevelDB had them already. Values are the store's sealed values
 * and keys are the store's keys: the journal holds nothing LevelDB does not.
 * Synchronous I/O on purpose (see above); a durable append blocks the event loop for one fdatasync.
 * A deferred append ('deferred') is written at once and fdatasync'd at the end of the event loop's turn (the check
 * phase, setImmediate), after what the caller started on promises alone (a frame on its way to a peer): the caller
 * is told through `synced`. At most one deferred record is ever waiting: the next deferred append fdatasyncs it
 * first, a durable append's own fdatasync covers it, and so do sync(), close() and release().
 */
import { closeSync, fdatasync, fdatasyncSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import sodium from 'sodium-native'
import { systemRng } from '../../protocol/crypto/index.js'
import type { KVOp } from './kv.js'

/** File name inside the LevelDB directory. */
export const JOURNAL_FILE = 'TERN-JOURNAL'
/** Preallocated size: the journal wraps to offset 0 once LevelDB holds everything written (bytes). */
export const JOURNAL_BYTES = 1024 * 1024
const MAGIC = 0x4e524a54 // "TJRN" little-endian
const HEADER_BYTES = 32
const HASH_BYTES = 16
const PUT = 1
const DEL = 2

/** One batch as the journal holds it (values are the caller's, not copied). */
export type JournalBatch = KVOp[]

/**
 * How an append is made durable: true, fdatasync'd before append() returns; false, not (a later fdatasync covers
 * it); 'deferred', fdatasync'd at the end of the event loop's turn or before anything else is (see above).
 */
export type AppendSync = boolean | 'deferred'

/** Told once a deferred append is durable (no argument) or its fdatasync failed (the error; the journal is unusable). */
export type SyncedCallback = (err?: Error) => void

export class Journal {
  private pos = 0
  private seq = 0
  private epoch: number
  private closed = false
  /** records written since the last fdatasync (sync: false appends) */
  private unsynced = false
  /** the callbacks of the deferred record waiting for its fdatasync (empty: none waits) */
  private deferred: SyncedCallback[] = []
  private flushScheduled = false

  private constructor (private readonly fd: number, private capacity: number) {
    this.epoch = newEpoch()
  }

  /**
   * Opens (creating and preallocating if needed) the journal at `path` and returns it with the batches it holds, in
   * order, for the caller to apply before anything else; the caller then calls reset().
   */
  static open (path: string): { journal: Journal, batches: JournalBatch[] } {
    let created = false
    let fd: number
    try {
      fd = openSync(path, 'r+')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
      fd = openSync(path, 'w+', 0o600)
      created = true
    }
    try {
      const size = fstatSync(fd).size
      const batches = created ? [] : readBatches(fd, size)
      if (size < JOURNAL_BYTES) {
        writeSync(fd, new Uint8Array(JOURNAL_BYTES - size), 0, JOURNAL_BYTES - size, size)
        fdatasyncSync(fd)
      }
      if (created) fsyncDir(dirname(path))
      return { journal: new Journal(fd, Math.max(size, JOURNAL_BYTES)), batches }
    } catch (e) {
      closeSync(fd)
      throw e
    }
  }

  /** True when a batch of `bytes` encoded bytes would not fit before the end of the preallocated space. */
  wouldWrap (ops: KVOp[]): boolean { return this.pos > 0 && this.pos + encodedSize(ops) > this.capacity }

  /**
   * Writes the batch and makes it durable as `sync` says (`written` is called between the write and any fdatasync;
   * `synced` once a deferred append is durable). Throws on I/O errors, its own or a waiting deferred record's: the
   * caller must stop writing then.
   */
  append (ops: KVOp[], sync: AppendSync, written?: () => void, synced?: SyncedCallback): void {
    if (this.closed) throw new Error('journal closed')
    // a deferred record waiting: durable before another deferred one is written (whose caller sends at once too)
    if (sync === 'deferred') this.flushDeferred()
    const rec = encodeRecord(this.epoch, ++this.seq, ops)
    let off = 0
    while (off < rec.length) off += writeSync(this.fd, rec, off, rec.length - off, this.pos + off)
    this.pos += rec.length
    if (this.pos > this.capacity) this.capacity = this.pos
    this.unsynced = true
    written?.()
    if (sync === 'deferred') {
      this.deferred.push(synced ?? (() => {}))
      if (!this.flushScheduled) {
        this.flushScheduled = true
        setImmediate(() => {
          this.flushScheduled = false
          try { this.flushDeferred() } catch {} // told to the callbacks; the caller's next write throws again
        })
      }
    } else if (sync) {
      this.fdatasync()
    }
  }

  /** Whether a deferred record waits for its fdatasync (for tests). */
  get deferring (): boolean { return this.deferred.length > 0 }

  /** fdatasyncs now if a deferred record waits, and tells its caller. Throws if that fails. */
  flushDeferred (): void {
    if (this.deferred.length === 0 || this.closed) return
    this.fdatasync()
  }

  /** fdatasync, then the waiting deferred callbacks learn the outcome. */
  private fdatasync (): void {
    const waiting = this.deferred
    this.deferred = []
    try {
      fdatasyncSync(this.fd)
    } catch (e) {
      for (const cb of waiting) cb(e as Error)
      throw e
    }
    this.unsynced = false
    for (const cb of waiting) cb()
  }

  /**
   * Makes every record written so far durable, on the thread pool. The caller must do this before LevelDB gets a
   * record written without fsync: otherwise a power cut could keep LevelDB's copy of it and lose the journal's, and
   * replaying the older records read back would undo part of it.
   */
  async sync (): Promise<void> {
    this.flushDeferred()
    if (!this.unsynced || this.closed) return
    this.unsynced = false
    try {
      await new Promise<void>((resolve, reject) => { fdatasync(this.fd, (err) => { if (err === null) resolve(); else reject(err) }) })
    } catch (e) {
      this.unsynced = true
      throw e
    }
  }

  /** Starts again at offset 0 under a new epoch. Only once every record written so far is durable elsewhere. */
  reset (): void {
    this.flushDeferred() // never the case (the caller resets only once LevelDB holds everything): a guard
    this.pos = 0
    this.seq = 0
    this.epoch = newEpoch()
  }

  /** Bytes written since the last reset. */
  get used (): number { return this.pos }

  /** Invalidates the records (the caller has made them durable elsewhere) and closes the file. */
  close (): void {
    if (this.closed) return
    try {
      this.flushDeferred()
      writeSync(this.fd, new Uint8Array(HEADER_BYTES), 0, HEADER_BYTES, 0)
      fdatasyncSync(this.fd)
    } finally {
      this.closed = true
      closeSync(this.fd)
    }
  }

  /** Closes the file and keeps its records (they are replayed at the next open). */
  release (): void {
    if (this.closed) return
    try { this.flushDeferred() } catch {} // its caller is told
    this.closed = true
    closeSync(this.fd)
  }
}

function newEpoch (): number {
  const b = systemRng(4)
  return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0
}

function encodedSize (ops: KVOp[]): number {
  let n = HEADER_BYTES + 4
  for (const op of ops) n += 1 + 2 + op.key.length + (op.type === 'put' ? 4 + op.value.length : 0)
  return n
}

/** One record (exported for tests). Keys must be ASCII (the store's keys are: keys.ts). */
export function encodeRecord (epoch: number, seq: number, ops: KVOp[]): Uint8Array {
  const buf = Buffer.alloc(encodedSize(ops))
  buf.writeUInt32LE(MAGIC, 0)
  buf.writeUInt32LE(epoch >>> 0, 4)
  buf.writeUInt32LE(seq >>> 0, 8)
  buf.writeUInt32LE(buf.length - HEADER_BYTES, 12)
  let o = HEADER_BYTES
  o = buf.writeUInt32LE(ops.length, o)
  for (const op of ops) {
    buf[o++] = op.type === 'put' ? PUT : DEL
    o = buf.writeUInt16LE(op.key.length, o)
    o += buf.write(op.key, o, 'latin1')
    if (op.type === 'put') {
      o = buf.writeUInt32LE(op.value.length, o)
      buf.set(op.value, o)
      o += op.value.length
    }
  }
  sodium.crypto_generichash_batch(buf.subarray(16, 32), [buf.subarray(0, 16), buf.subarray(HEADER_BYTES)])
  return buf
}

/** Reads the valid run of records from offset 0 (see the file comment). Exported for tests via decodeRecords. */
function readBatches (fd: number, size: number): JournalBatch[] {
  if (size === 0) return []
  const buf = Buffer.alloc(size)
  let got = 0
  while (got < size) {
    const n = readSync(fd, buf, got, size - got, got)
    if (n === 0) break
    got += n
  }
  return decodeRecords(buf.subarray(0, got))
}

/** The batches of the valid run of records at the start of `buf`. */
export function decodeRecords (buf: Uint8Array): JournalBatch[] {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  const out: JournalBatch[] = []
  let pos = 0
  let epoch: number | undefined
  let seq = 0
  const hash = Buffer.alloc(HASH_BYTES)
  while (pos + HEADER_BYTES <= b.length) {
    if (b.readUInt32LE(pos) !== MAGIC) break
    const e = b.readUInt32LE(pos + 4)
    const s = b.readUInt32LE(pos + 8)
    const len = b.readUInt32LE(pos + 12)
    if (epoch !== undefined && (e !== epoch || s !== seq + 1)) break
    if (len < 4 || pos + HEADER_BYTES + len > b.length) break
    const body = b.subarray(pos + HEADER_BYTES, pos + HEADER_BYTES + len)
    sodium.crypto_generichash_batch(hash, [b.subarray(pos, pos + 16), body])
    if (!hash.equals(b.subarray(pos + 16, pos + 32))) break
    const ops = decodeBody(body)
    if (ops === undefined) break
    out.push(ops)
    epoch = e
    seq = s
    pos += HEADER_BYTES + len
  }
  return out
}

function decodeBody (body: Buffer): KVOp[] | undefined {
  let o = 0
  const need = (n: number): boolean => o + n <= body.length
  if (!need(4)) return undefined
  const count = body.readUInt32LE(o); o += 4
  const ops: KVOp[] = []
  for (let i = 0; i < count; i++) {
    if (!need(3)) return undefined
    const type = body[o++]
    const kl = body.readUInt16LE(o); o += 2
    if (!need(kl)) return undefined
    const key = body.toString('latin1', o, o + kl); o += kl
    if (type === PUT) {
      if (!need(4)) return undefined
      const vl = body.readUInt32LE(o); o += 4
      if (!need(vl)) return undefined
      ops.push({ type: 'put', key, value: new Uint8Array(body.subarray(o, o + vl)) })
      o += vl
    } else if (type === DEL) {
      ops.push({ type: 'del', key })
    } else {
      return undefined
    }
  }
  return o === body.length ? ops : undefined
}

function fsyncDir (dir: string): void {
  const fd = openSync(dir, 'r')
  try { fsyncSync(fd) } finally { closeSync(fd) }
}

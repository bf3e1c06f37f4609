/**
 * The relay's mailbox store on LevelDB (PROTOCOL.md §8.8). It owns the on-disk schema, the per-queue and per-owner
 * counters and every quota decision; it knows nothing of libp2p, streams or authentication (the server checks
 * ownership before it calls in). Envelopes are opaque bytes: they are stored exactly as given and never decoded.
 *
 * Keys (binary, ordered):
 *   'M' || "version"            -> u8 schema version (1)
 *   'Q' || queueId(16)          -> queue record (encodeQueue)
 *   'E' || queueId(16) || u64be(seq) -> u64be(depositedAt ms) || envelope bytes
 * A queue's envelopes are one contiguous, seq-ordered key range; startup reads only the 'Q' range, so it costs
 * O(queues), never O(envelopes). Every change to envelopes and the counters of their queue is one atomic batch,
 * and all mutations run one at a time (a promise-chain mutex), so counters never drift from the envelopes.
 */
import { Level } from 'level'
import { equal, sha256, systemRng, type Rng } from '../../protocol/crypto/index.js'
import { QUEUE_GC_FACTOR, QUEUE_ID_BYTES, TOKEN_BYTES } from './constants.js'
import { Status } from './pb/mailbox.js'
import type { ResolvedMailboxLimits } from './limits.js'

const SCHEMA_VERSION = 1
const P_META = 0x4d // 'M'
const P_QUEUE = 0x51 // 'Q'
const P_ENV = 0x45 // 'E'
const VERSION_KEY = Uint8Array.from([P_META, ...new TextEncoder().encode('version')])
const QUEUE_FIXED_BYTES = 1 + 32 + 32 + 8 * 6
/** A read-only owner operation rewrites the queue record's touchedAt at most this often, ms (§8.6). */
export const TOUCH_GRANULARITY_MS = 60_000
/** Bytes one iterator read returns at most (a whole FETCH reply). */
const READ_AHEAD_BYTES = 2 * 1024 * 1024
/** LevelDB memtable size: envelopes usually die (ack) before a flush, and fewer L0 files mean fewer write stalls. */
const WRITE_BUFFER_BYTES = 32 * 1024 * 1024
const enc = new TextEncoder()
const dec = new TextDecoder()

/** One queue's persisted record. `ownerPeer` is the PeerId string recorded at creation. */
export interface QueueRecord {
  queueId: Uint8Array
  ownerPeer: string
  ownerKey: Uint8Array
  tokenHash: Uint8Array
  nextSeq: number
  /** no live envelope has a seq below this (a hint that lets scans skip deleted keys; never above the truth) */
  headSeq: number
  count: number
  bytes: number
  createdAt: number
  /** last owner operation (create, list, fetch, ack, subscribe), ms */
  touchedAt: number
}

export interface StoredEnvelope { queueId: Uint8Array, id: number, data: Uint8Array, depositedAt: number }
export interface DepositRequest { queueId: Uint8Array, token: Uint8Array, envelope: Uint8Array }
export interface DepositOutcome { status: Status, id: number }
export interface MailboxStats { queues: number, envelopes: number, bytes: number }

type Op = { type: 'put', key: Uint8Array, value: Uint8Array } | { type: 'del', key: Uint8Array }

const TWO_32 = 2 ** 32
/** Writes a non-negative safe integer as u64be (no BigInt: this is on every envelope's path). */
function setU64 (dv: DataView, o: number, n: number): void {
  dv.setUint32(o, Math.floor(n / TWO_32)); dv.setUint32(o + 4, n >>> 0)
}
function getU64 (dv: DataView, o: number): number {
  return dv.getUint32(o) * TWO_32 + dv.getUint32(o + 4)
}

export function hex (b: Uint8Array): string { return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex') }

function queueKey (queueId: Uint8Array): Uint8Array {
  const k = new Uint8Array(1 + QUEUE_ID_BYTES); k[0] = P_QUEUE; k.set(queueId, 1); return k
}

export function envelopeKey (queueId: Uint8Array, seq: number): Uint8Array {
  const k = new Uint8Array(1 + QUEUE_ID_BYTES + 8)
  k[0] = P_ENV; k.set(queueId, 1)
  let hi = Math.floor(seq / TWO_32); let lo = seq >>> 0
  for (let i = 24; i >= 21; i--) { k[i] = lo & 0xff; lo >>>= 8 }
  for (let i = 20; i >= 17; i--) { k[i] = hi & 0xff; hi >>>= 8 }
  return k
}

function seqOfKey (k: Uint8Array): number {
  return getU64(new DataView(k.buffer, k.byteOffset, k.byteLength), 1 + QUEUE_ID_BYTES)
}

function envelopeValue (depositedAt: number, data: Uint8Array): Uint8Array {
  const v = new Uint8Array(8 + data.length)
  setU64(new DataView(v.buffer), 0, depositedAt); v.set(data, 8)
  return v
}

function depositedAtOf (v: Uint8Array): number {
  return getU64(new DataView(v.buffer, v.byteOffset, v.byteLength), 0)
}

/** Stored schema of a queue record, version 1 (separate from the wire schema). */
export function encodeQueue (q: QueueRecord): Uint8Array {
  const peer = enc.encode(q.ownerPeer)
  const out = new Uint8Array(QUEUE_FIXED_BYTES + peer.length)
  const dv = new DataView(out.buffer)
  out[0] = SCHEMA_VERSION; out.set(q.ownerKey, 1); out.set(q.tokenHash, 33)
  let o = 65
  for (const n of [q.nextSeq, q.headSeq, q.count, q.bytes, q.createdAt, q.touchedAt]) { setU64(dv, o, n); o += 8 }
  out.set(peer, o)
  return out
}

export function decodeQueue (queueId: Uint8Array, v: Uint8Array): QueueRecord {
  if (v.length < QUEUE_FIXED_BYTES || v[0] !== SCHEMA_VERSION) throw new Error('mailbox store: bad queue record')
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength)
  const n = (o: number): number => getU64(dv, o)
  return {
    queueId: queueId.slice(),
    ownerKey: v.slice(1, 33),
    tokenHash: v.slice(33, 65),
    nextSeq: n(65), headSeq: n(73), count: n(81), bytes: n(89), createdAt: n(97), touchedAt: n(105),
    ownerPeer: dec.decode(v.subarray(QUEUE_FIXED_BYTES))
  }
}

function envRange (queueId: Uint8Array, fromSeq = 0): { gte: Uint8Array, lt: Uint8Array } {
  const lt = new Uint8Array(1 + QUEUE_ID_BYTES + 9).fill(0xff)
  lt[0] = P_ENV; lt.set(queueId, 1)
  return { gte: envelopeKey(queueId, fromSeq), lt }
}

export interface MailboxStoreInit {
  dbPath: string
  limits: ResolvedMailboxLimits
  rng?: Rng
}

export class MailboxStore {
  limits: ResolvedMailboxLimits
  private readonly db: Level<Uint8Array, Uint8Array>
  private readonly rng: Rng
  private readonly queues = new Map<string, QueueRecord>()
  private readonly owners = new Map<string, { queues: number, bytes: number }>()
  private tail: Promise<unknown> = Promise.resolve()
  private readonly pendingDeposits: Array<{ req: { items: DepositRequest[], now: number }, resolve: (r: { results: DepositOutcome[], accepted: StoredEnvelope[] }) => void, reject: (e: unknown) => void }> = []
  private readonly pendingAcks: Array<{ req: { queueId: Uint8Array, ids: number[], now: number }, resolve: (r: { status: Status, deleted: number }) => void, reject: (e: unknown) => void }> = []
  private closed = true
  private readonly reads = new Set<Promise<unknown>>()

  constructor (init: MailboxStoreInit) {
    this.limits = init.limits
    this.rng = init.rng ?? systemRng
    this.db = new Level<Uint8Array, Uint8Array>(init.dbPath, {
      keyEncoding: 'view', valueEncoding: 'view', writeBufferSize: WRITE_BUFFER_BYTES, compression: false
    })
  }

  /** Opens the db and loads the queue records (O(queues)). */
  async open (): Promise<void> {
    await this.db.open()
    const v = await this.db.get(VERSION_KEY)
    if (v === undefined) await this.db.put(VERSION_KEY, Uint8Array.of(SCHEMA_VERSION))
    else if (v[0] !== SCHEMA_VERSION) throw new Error(`mailbox store: unknown schema version ${v[0]}`)
    for await (const [k, val] of this.db.iterator({ gt: Uint8Array.of(P_QUEUE), lt: Uint8Array.of(P_QUEUE + 1) })) {
      const q = decodeQueue(k.subarray(1), val)
      this.queues.set(hex(q.queueId), q)
      const o = this.ownerOf(q.ownerPeer)
      o.queues++; o.bytes += q.bytes
    }
    this.closed = false
  }

  /** Waits for in-flight operations, then closes the db. Later calls are refused. */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.tail.catch(() => {})
    await Promise.allSettled([...this.reads])
    // LevelDB flushes its memtable before compacting any range: this keeps the next open from replaying a log of
    // up to WRITE_BUFFER_BYTES (a crash restart still replays it)
    await this.compactRangeRaw(VERSION_KEY, VERSION_KEY).catch(() => {})
    await this.db.close()
  }

  get isOpen (): boolean { return !this.closed }

  stats (): MailboxStats {
    let envelopes = 0; let bytes = 0
    for (const q of this.queues.values()) { envelopes += q.count; bytes += q.bytes }
    return { queues: this.queues.size, envelopes, bytes }
  }

  /** The in-memory record of a queue (read-only view for ownership checks). */
  getQueue (queueId: Uint8Array): Readonly<QueueRecord> | undefined { return this.queues.get(hex(queueId)) }

  ownerUsage (ownerPeer: string): { queues: number, bytes: number } {
    const o = this.owners.get(ownerPeer); return { queues: o?.queues ?? 0, bytes: o?.bytes ?? 0 }
  }

  private ownerOf (peer: string): { queues: number, bytes: number } {
    let o = this.owners.get(peer)
    if (o === undefined) { o = { queues: 0, bytes: 0 }; this.owners.set(peer, o) }
    return o
  }

  /** Runs `fn` after every earlier operation (the store's single writer). */
  private run<T> (fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('mailbox store closed'))
    const p = this.tail.then(fn, fn)
    this.tail = p.catch(() => {})
    return p
  }

  private expired (depositedAt: number, now: number): boolean {
    return now - depositedAt >= this.limits.retentionMs
  }

  /** Creates a queue; quota checks: ownerMaxQueues, maxQueuesAnyOwnerTotal (when `countTotal`). */
  async createQueue (ownerPeer: string, ownerKey: Uint8Array, now: number, countTotal: boolean):
  Promise<{ status: Status, queueId?: Uint8Array, token?: Uint8Array }> {
    return await this.run(async () => {
      if (this.ownerUsage(ownerPeer).queues >= this.limits.ownerMaxQueues) return { status: Status.OWNER_QUOTA }
      if (countTotal && this.queues.size >= this.limits.maxQueuesAnyOwnerTotal) return { status: Status.RELAY_QUOTA }
      const queueId = this.rng(QUEUE_ID_BYTES)
      const token = this.rng(TOKEN_BYTES)
      const q: QueueRecord = {
        queueId, ownerPeer, ownerKey: ownerKey.slice(), tokenHash: sha256(token),
        nextSeq: 0, headSeq: 0, count: 0, bytes: 0, createdAt: now, touchedAt: now
      }
      await this.db.put(queueKey(queueId), encodeQueue(q))
      this.queues.set(hex(queueId), q)
      this.ownerOf(ownerPeer).queues++
      return { status: Status.OK, queueId, token }
    })
  }

  /**
   * Deposits a batch atomically (one LevelDB batch); each item gets its own status. Accepted envelopes are
   * returned in `accepted` for pushing to subscribers once the batch is durable. Deposits that arrive while
   * another operation runs are coalesced into one write (group commit); each caller still gets its own results.
   */
  async deposit (items: DepositRequest[], now: number): Promise<{ results: DepositOutcome[], accepted: StoredEnvelope[] }> {
    return await this.coalesce(this.pendingDeposits, { items, now }, async (reqs) => await this.depositLocked(reqs))
  }

  private async depositLocked (reqs: Array<{ items: DepositRequest[], now: number }>):
  Promise<Array<{ results: DepositOutcome[], accepted: StoredEnvelope[] }>> {
    const out = reqs.map(() => ({ results: [] as DepositOutcome[], accepted: [] as StoredEnvelope[] }))
    const dirty = new Map<string, QueueRecord>()
    const ownerDelta = new Map<string, number>()
    const ops: Op[] = []
    const tokenOk = new Map<string, Uint8Array>()
    let prevId: Uint8Array | undefined
    let prevKey = ''
    for (let r = 0; r < reqs.length; r++) {
      const { now } = reqs[r]
      const { results, accepted } = out[r]
      for (const it of reqs[r].items) {
        // batches usually target one queue: reuse the hex key of the previous item
        const key = prevId !== undefined && Buffer.compare(prevId, it.queueId) === 0 ? prevKey : hex(it.queueId)
        prevId = it.queueId; prevKey = key
        const status = this.checkDeposit(it, key, now, dirty, ownerDelta, tokenOk)
        if (status !== Status.OK) { results.push({ status, id: 0 }); continue }
        let q = dirty.get(key)
        if (q === undefined) { q = { ...this.queues.get(key)! }; dirty.set(key, q) }
        const size = it.envelope.length
        const id = q.nextSeq++
        q.count++; q.bytes += size
        ownerDelta.set(q.ownerPeer, (ownerDelta.get(q.ownerPeer) ?? 0) + size)
        ops.push({ type: 'put', key: envelopeKey(q.queueId, id), value: envelopeValue(now, it.envelope) })
        results.push({ status: Status.OK, id })
        accepted.push({ queueId: q.queueId, id, data: it.envelope, depositedAt: now })
      }
    }
    if (ops.length > 0) {
      for (const q of dirty.values()) ops.push({ type: 'put', key: queueKey(q.queueId), value: encodeQueue(q) })
      await this.db.batch(ops)
      for (const [k, q] of dirty) this.queues.set(k, q)
      for (const [peer, d] of ownerDelta) this.ownerOf(peer).bytes += d
    }
    return out
  }

  /** The quota and capability checks of one deposit, in their fixed order (§8.7). */
  private checkDeposit (it: DepositRequest, key: string, now: number, dirty: Map<string, QueueRecord>,
    ownerDelta: Map<string, number>, tokenOk: Map<string, Uint8Array>): Status {
    const q = dirty.get(key) ?? this.queues.get(key)
    if (q === undefined) return Status.UNKNOWN_QUEUE
    const known = tokenOk.get(key)
    if (!(known !== undefined && equal(known, it.token))) {
      if (it.token.length !== TOKEN_BYTES || !equal(sha256(it.token), q.tokenHash)) return Status.BAD_TOKEN
      tokenOk.set(key, it.token)
    }
    if (now - q.touchedAt >= this.limits.retentionMs) return Status.EXPIRED
    const size = it.envelope.length
    if (size === 0) return Status.MALFORMED
    if (size > this.limits.maxEnvelopeBytes) return Status.TOO_LARGE
    if (q.count + 1 > this.limits.queueMaxEnvelopes) return Status.QUEUE_FULL
    if (q.bytes + size > this.limits.queueMaxBytes) return Status.QUEUE_BYTES_FULL
    const ownerBytes = (this.owners.get(q.ownerPeer)?.bytes ?? 0) + (ownerDelta.get(q.ownerPeer) ?? 0)
    if (ownerBytes + size > this.limits.ownerMaxBytes) return Status.OWNER_QUOTA
    return Status.OK
  }

  /**
   * Queues `req` on `pending`; the first request of a burst schedules one locked run that takes every request
   * queued by the time it starts.
   */
  private async coalesce<Q, R> (pending: Array<{ req: Q, resolve: (r: R) => void, reject: (e: unknown) => void }>, req: Q,
    fn: (reqs: Q[]) => Promise<R[]>): Promise<R> {
    return await new Promise<R>((resolve, reject) => {
      pending.push({ req, resolve, reject })
      if (pending.length > 1) return
      this.run(async () => {
        const batch = pending.splice(0, pending.length)
        try {
          const rs = await fn(batch.map(b => b.req))
          batch.forEach((b, i) => { b.resolve(rs[i]) })
        } catch (err) {
          for (const b of batch) b.reject(err)
        }
      }).catch((err) => { for (const b of pending.splice(0, pending.length)) b.reject(err) })
    })
  }

  /**
   * Reads up to `maxCount` live envelopes (and at most `maxBytes`, the first always included) from the head of a
   * queue. Envelopes past retention are never returned; those met on the way are deleted. Touches the queue.
   * The read runs outside the writer lock (on LevelDB's implicit snapshot), so reads overlap with writes; a fetch
   * pipelined behind an unanswered deposit may not see it. Only the rare follow-up write (expired envelopes,
   * touch) takes the lock.
   */
  async fetch (queueId: Uint8Array, maxCount: number, maxBytes: number, now: number):
  Promise<{ status: Status, envelopes: StoredEnvelope[], remaining: number }> {
    if (this.closed) throw new Error('mailbox store closed')
    const key = hex(queueId)
    const base = this.queues.get(key)
    if (base === undefined) return { status: Status.UNKNOWN_QUEUE, envelopes: [], remaining: 0 }
    const read = this.scan(queueId, base.headSeq, maxCount, maxBytes, now)
    this.reads.add(read)
    let r: Awaited<typeof read>
    try { r = await read } finally { this.reads.delete(read) }
    const touch = now - base.touchedAt >= TOUCH_GRANULARITY_MS
    if (r.expired.length > 0 || touch) {
      await this.run(async () => {
        const cur = this.queues.get(key)
        if (cur === undefined) return
        const q = { ...cur, touchedAt: Math.max(cur.touchedAt, now), headSeq: Math.max(cur.headSeq, r.head) }
        const ops: Op[] = []
        let freed = 0
        // an expired envelope may have been acked since the read: delete and count only those still there
        const still = r.expired.length > 0 ? await this.db.getMany(r.expired) : []
        for (let i = 0; i < r.expired.length; i++) {
          const v = still[i]
          if (v === undefined) continue
          ops.push({ type: 'del', key: r.expired[i] }); q.count--; q.bytes -= v.length - 8; freed += v.length - 8
        }
        ops.push({ type: 'put', key: queueKey(q.queueId), value: encodeQueue(q) })
        await this.db.batch(ops)
        this.queues.set(key, q)
        if (freed > 0) this.ownerOf(q.ownerPeer).bytes -= freed
      })
    } else {
      const cur = this.queues.get(key)
      if (cur !== undefined && r.head > cur.headSeq) this.queues.set(key, { ...cur, headSeq: r.head })
    }
    const count = this.queues.get(key)?.count ?? 0
    return { status: Status.OK, envelopes: r.envelopes, remaining: Math.max(0, count - r.envelopes.length) }
  }

  /** One range read from `fromSeq`: live envelopes, keys of expired ones, and a new lower bound of the head. */
  private async scan (queueId: Uint8Array, fromSeq: number, maxCount: number, maxBytes: number, now: number):
  Promise<{ envelopes: StoredEnvelope[], expired: Uint8Array[], head: number }> {
    const envelopes: StoredEnvelope[] = []
    const expired: Uint8Array[] = []
    let head = -1
    let bytes = 0
    let lastSeen = fromSeq - 1
    let complete = true
    // one read of up to READ_AHEAD_BYTES per nextv() instead of classic-level's 16 KiB default
    const it = this.db.iterator({ ...envRange(queueId, fromSeq), highWaterMarkBytes: READ_AHEAD_BYTES })
    try {
      scan: while (true) {
        const entries = await it.nextv(Math.min(maxCount + 16, 1000))
        if (entries.length === 0) break
        for (const [k, v] of entries) {
          const id = seqOfKey(k)
          lastSeen = id
          const at = depositedAtOf(v)
          if (this.expired(at, now)) { expired.push(k); continue }
          if (head < 0) head = id
          const size = v.length - 8
          if (envelopes.length >= maxCount || (envelopes.length > 0 && bytes + size > maxBytes)) { complete = false; break scan }
          bytes += size
          envelopes.push({ queueId, id, data: v.subarray(8), depositedAt: at })
        }
      }
    } finally {
      await it.close()
    }
    // with no live envelope seen, everything up to the last key read is gone (or about to be deleted as expired)
    if (head < 0) head = complete ? lastSeen + 1 : fromSeq
    return { envelopes, expired, head }
  }

  /** Deletes the given envelopes (unknown or already deleted ids are ignored). Touches the queue. Coalesced. */
  async ack (queueId: Uint8Array, ids: number[], now: number): Promise<{ status: Status, deleted: number }> {
    return await this.coalesce(this.pendingAcks, { queueId, ids, now }, async (reqs) => await this.ackLocked(reqs))
  }

  private async ackLocked (reqs: Array<{ queueId: Uint8Array, ids: number[], now: number }>):
  Promise<Array<{ status: Status, deleted: number }>> {
    const dirty = new Map<string, QueueRecord>()
    const plan: Array<{ key: string, keys: Uint8Array[] } | undefined> = []
    const allKeys: Uint8Array[] = []
    for (const r of reqs) {
      const key = hex(r.queueId)
      const base = dirty.get(key) ?? this.queues.get(key)
      if (base === undefined) { plan.push(undefined); continue }
      const keys = [...new Set(r.ids)].filter(id => id >= base.headSeq && id < base.nextSeq).map(id => envelopeKey(r.queueId, id))
      if (!dirty.has(key)) dirty.set(key, { ...base })
      plan.push({ key, keys }); allKeys.push(...keys)
    }
    const values = allKeys.length > 0 ? await this.db.getMany(allKeys) : []
    const ops: Op[] = []
    const freed = new Map<string, number>()
    const seen = new Map<string, Set<number>>() // ids deleted in this run, per queue (a queue may appear twice)
    const out: Array<{ status: Status, deleted: number }> = []
    let vi = 0
    for (let i = 0; i < reqs.length; i++) {
      const p = plan[i]
      if (p === undefined) { out.push({ status: Status.UNKNOWN_QUEUE, deleted: 0 }); continue }
      const q = dirty.get(p.key)!
      q.touchedAt = reqs[i].now
      let deleted = 0
      let gone = seen.get(p.key)
      if (gone === undefined) { gone = new Set(); seen.set(p.key, gone) }
      for (const k of p.keys) {
        const v = values[vi++]
        const id = seqOfKey(k)
        if (v === undefined || gone.has(id)) continue
        gone.add(id)
        ops.push({ type: 'del', key: k }); q.count--; q.bytes -= v.length - 8; deleted++
        freed.set(q.ownerPeer, (freed.get(q.ownerPeer) ?? 0) + v.length - 8)
      }
      const acked = new Set(reqs[i].ids)
      while (q.headSeq < q.nextSeq && acked.has(q.headSeq)) q.headSeq++
      if (q.count === 0) q.headSeq = q.nextSeq
      out.push({ status: Status.OK, deleted })
    }
    for (const q of dirty.values()) ops.push({ type: 'put', key: queueKey(q.queueId), value: encodeQueue(q) })
    if (ops.length > 0) await this.db.batch(ops)
    for (const [k, q] of dirty) this.queues.set(k, q)
    for (const [peer, n] of freed) this.ownerOf(peer).bytes -= n
    return out
  }

  /** Marks an owner operation that reads nothing (subscribe). */
  async touch (queueId: Uint8Array, now: number): Promise<Status> {
    return await this.run(async () => {
      const base = this.queues.get(hex(queueId))
      if (base === undefined) return Status.UNKNOWN_QUEUE
      const q = { ...base, touchedAt: now }
      await this.db.put(queueKey(queueId), encodeQueue(q))
      this.queues.set(hex(queueId), q)
      return Status.OK
    })
  }

  async deleteQueue (queueId: Uint8Array): Promise<Status> {
    return await this.run(async () => await this.deleteQueueLocked(queueId))
  }

  private async deleteQueueLocked (queueId: Uint8Array): Promise<Status> {
    const q = this.queues.get(hex(queueId))
    if (q === undefined) return Status.UNKNOWN_QUEUE
    let ops: Op[] = []
    for await (const k of this.db.keys(envRange(queueId))) {
      ops.push({ type: 'del', key: k })
      if (ops.length >= 10_000) { await this.db.batch(ops); ops = [] }
    }
    ops.push({ type: 'del', key: queueKey(queueId) })
    await this.db.batch(ops)
    this.queues.delete(hex(queueId))
    const o = this.ownerOf(q.ownerPeer)
    o.queues--; o.bytes -= q.bytes
    if (o.queues === 0) this.owners.delete(q.ownerPeer)
    return Status.OK
  }

  /**
   * Deletes every envelope past retention (each queue's expired envelopes are a prefix of its range) and every
   * queue idle for retentionMs * QUEUE_GC_FACTOR. Runs queue by queue so that requests interleave.
   */
  async sweep (now: number): Promise<{ envelopes: number, queues: number }> {
    let envelopes = 0; let queues = 0
    for (const key of [...this.queues.keys()]) {
      if (this.closed) break
      const r = await this.run(async () => {
        const base = this.queues.get(key)
        if (base === undefined) return { e: 0, q: 0 }
        if (now - base.touchedAt >= this.limits.retentionMs * QUEUE_GC_FACTOR) {
          const n = base.count
          await this.deleteQueueLocked(base.queueId)
          return { e: n, q: 1 }
        }
        if (base.count === 0) return { e: 0, q: 0 }
        const q = { ...base }
        const ops: Op[] = []
        let freed = 0
        for await (const [k, v] of this.db.iterator(envRange(q.queueId, q.headSeq))) {
          if (!this.expired(depositedAtOf(v), now)) break
          q.headSeq = seqOfKey(k) + 1
          ops.push({ type: 'del', key: k }); q.count--; q.bytes -= v.length - 8; freed += v.length - 8
          if (ops.length >= 10_000) break
        }
        if (ops.length === 0) return { e: 0, q: 0 }
        ops.push({ type: 'put', key: queueKey(q.queueId), value: encodeQueue(q) })
        await this.db.batch(ops)
        this.queues.set(key, q)
        this.ownerOf(q.ownerPeer).bytes -= freed
        return { e: ops.length - 1, q: 0 }
      }).catch(() => ({ e: 0, q: 0 }))
      envelopes += r.e; queues += r.q
    }
    return { envelopes, queues }
  }

  private async compactRangeRaw (a: Uint8Array, b: Uint8Array): Promise<void> {
    await (this.db as unknown as { compactRange: (a: Uint8Array, b: Uint8Array) => Promise<void> }).compactRange(a, b)
  }

  /** Compacts the whole key space (after deletes, so that deleted bytes leave the files). */
  async compact (): Promise<void> {
    await this.run(async () => { await this.compactRangeRaw(Uint8Array.of(0), Uint8Array.of(0xff)) })
  }

  /**
   * Bulk-loads envelopes into an existing queue without quota checks (benchmarks and tests only).
   */
  async bulkLoad (queueId: Uint8Array, envelopes: Uint8Array[], now: number): Promise<void> {
    await this.run(async () => {
      const base = this.queues.get(hex(queueId))
      if (base === undefined) throw new Error('unknown queue')
      const q = { ...base }
      const ops: Op[] = []
      let added = 0
      for (const e of envelopes) {
        ops.push({ type: 'put', key: envelopeKey(queueId, q.nextSeq++), value: envelopeValue(now, e) })
        q.count++; q.bytes += e.length; added += e.length
      }
      ops.push({ type: 'put', key: queueKey(queueId), value: encodeQueue(q) })
      await this.db.batch(ops)
      this.queues.set(hex(queueId), q)
      this.ownerOf(q.ownerPeer).bytes += added
    })
  }
}

/**
 * Store bench: the encrypted LevelDB store (AES-256-GCM per value, AD = key) against raw LevelDB puts of the same
 * sizes, and the passphrase KDF. Figures: `store put 256B sync=false` (ops/s, batches of 1), `store put 256B
 * batch100 sync=false`, `store put 256B sync=true` (every write fsynced: the default), `store get 256B`,
 * `store scan 256B` (entries/s, ordered range), `keystore unlock (scrypt 2^17)` (ms). Median of RUNS runs.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { openStore, messageKey, messagePrefix, prefixRange } from '../node/store/index.js'
import { initKeystore, unlockKeystore } from '../node/home/index.js'
import { median, type Reporter } from './reporter.js'

/** Runs per figure. */
const RUNS = 3
/** Operations per run (single puts / gets). */
const OPS = 5000
/** fsynced puts per run (each costs a disk flush). */
const SYNC_OPS = 300
/** Value size, bytes. */
const VALUE_BYTES = 256

export default async function (r: Reporter): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'tern-bench-store-'))
  try {
    const value = new Uint8Array(VALUE_BYTES).fill(0x61)
    const key = new Uint8Array(32).fill(5)
    const figs: Record<string, number[]> = {}
    const add = (name: string, v: number): void => { (figs[name] ??= []).push(v) }
    for (let run = 0; run < RUNS; run++) {
      const st = await openStore(join(root, `db${run}`), key, { sync: false })
      const raw = (st.kv as unknown as { db: { put: (k: string, v: Uint8Array) => Promise<void> } }).db
      let t0 = performance.now()
      for (let i = 0; i < OPS; i++) await st.put(messageKey('c1', i), value)
      add('put', OPS / ((performance.now() - t0) / 1000))
      t0 = performance.now()
      for (let i = 0; i < OPS; i++) await raw.put(messageKey('raw', i), value)
      add('raw', OPS / ((performance.now() - t0) / 1000))
      t0 = performance.now()
      for (let i = 0; i < OPS; i += 100) {
        const b = st.batch()
        for (let j = i; j < i + 100; j++) b.put(messageKey('c2', j), value)
        await b.write()
      }
      add('batch', OPS / ((performance.now() - t0) / 1000))
      t0 = performance.now()
      for (let i = 0; i < OPS; i++) await st.get(messageKey('c1', i))
      add('get', OPS / ((performance.now() - t0) / 1000))
      t0 = performance.now()
      let n = 0
      for await (const _ of st.iterate(prefixRange(messagePrefix('c2')))) n++ // eslint-disable-line @typescript-eslint/no-unused-vars
      add('scan', n / ((performance.now() - t0) / 1000))
      t0 = performance.now()
      const page = await st.list({ ...prefixRange(messagePrefix('c1')), reverse: true, limit: 50 })
      add('page', performance.now() - t0)
      if (page.length !== 50) throw new Error('scan page')
      await st.close()
      const ss = await openStore(join(root, `sync${run}`), key) // default sync=true
      t0 = performance.now()
      for (let i = 0; i < SYNC_OPS; i++) await ss.batch().put(messageKey('c1', i), value).appendEvent('m', { i }).write()
      add('sync', SYNC_OPS / ((performance.now() - t0) / 1000))
      await ss.close()
    }
    const home = join(root, 'home')
    await initKeystore(home, 'bench passphrase', { identity: new Uint8Array(64) })
    for (let run = 0; run < RUNS; run++) {
      const t0 = performance.now()
      await unlockKeystore(home, 'bench passphrase')
      add('unlock', performance.now() - t0)
    }
    const rawPut = median(figs.raw)
    r.add({ name: `store put ${VALUE_BYTES}B sync=false`, value: median(figs.put), unit: 'ops/s', reference: rawPut, ratio: median(figs.put) / rawPut, note: 'reference: raw LevelDB put, no encryption' })
    r.add({ name: `store put ${VALUE_BYTES}B batch100 sync=false`, value: median(figs.batch), unit: 'ops/s' })
    r.add({ name: `store batch(put+event) ${VALUE_BYTES}B sync=true`, value: median(figs.sync), unit: 'batches/s', note: 'the default: fsync per write' })
    r.add({ name: `store get ${VALUE_BYTES}B`, value: median(figs.get), unit: 'ops/s' })
    r.add({ name: `store scan ${VALUE_BYTES}B`, value: median(figs.scan), unit: 'entries/s' })
    r.add({ name: 'store reverse page of 50', value: median(figs.page), unit: 'ms' })
    r.add({ name: 'keystore unlock (scrypt N=2^17 r=8 p=1)', value: median(figs.unlock), unit: 'ms' })
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

/** node/idle-gc.ts: one full (compacting) collection once the daemon has been quiet for the delay, none while busy. */
import t from 'tap'
import { PerformanceObserver, constants } from 'node:perf_hooks'
import { IdleCollector } from '../node/idle-gc.js'

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** Counts full collections while `fn` runs. */
async function majorGcs (fn: () => Promise<void>): Promise<number> {
  let n = 0
  const obs = new PerformanceObserver(list => {
    for (const e of list.getEntries()) if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) n++
  })
  obs.observe({ entryTypes: ['gc'] })
  try { await fn() } finally { await sleep(20); obs.disconnect() }
  return n
}

t.test('collects once after the quiet delay; activity postpones it', async t => {
  const idle = new IdleCollector(60)
  t.teardown(() => { idle.stop() })
  const busy = await majorGcs(async () => {
    for (let i = 0; i < 6; i++) { idle.touch(); await sleep(20) } // 120 ms of activity, never 60 ms quiet
  })
  t.equal(busy, 0, 'none while busy')
  const quiet = await majorGcs(async () => { await sleep(150) })
  t.equal(quiet, 1, 'one once quiet')
  const after = await majorGcs(async () => { await sleep(150) })
  t.equal(after, 0, 'not again without new activity')
})

t.test('stop() cancels a pending collection', async t => {
  const idle = new IdleCollector(30)
  const n = await majorGcs(async () => { idle.touch(); idle.stop(); await sleep(100) })
  t.equal(n, 0)
})

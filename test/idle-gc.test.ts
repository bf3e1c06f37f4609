/**
 * node/idle-gc.ts: one full (compacting) collection once the daemon has been quiet for the delay, none while busy.
 * The collector's calls are counted through a wrapper around V8's own gc(), because V8 may also collect on its own
 * at any moment (its memory reducer): counting every major GC in the process made this test flaky.
 */
import t from 'tap'
import { PerformanceObserver, constants } from 'node:perf_hooks'
import { IdleCollector, v8Gc } from '../node/idle-gc.js'

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** A collector whose collections are counted, and still run V8's full collection. */
function counted (delayMs: number): { idle: IdleCollector, calls: () => number } {
  const gc = v8Gc()
  if (gc === undefined) throw new Error('no V8 gc() here')
  let n = 0
  const idle = new IdleCollector(delayMs, () => { n++; gc() })
  return { idle, calls: () => n }
}

t.test('collects once after the quiet delay; activity postpones it', async t => {
  // the delay is ten times the gap between touches: a loaded machine that stretches a 20 ms sleep is not quiet time
  const { idle, calls } = counted(200)
  t.teardown(() => { idle.stop() })
  for (let i = 0; i < 15; i++) { idle.touch(); await sleep(20) } // 300 ms of activity, never 200 ms quiet
  t.equal(calls(), 0, 'none while busy')
  await sleep(500)
  t.equal(calls(), 1, 'one once quiet')
  await sleep(400)
  t.equal(calls(), 1, 'not again without new activity')
  idle.touch()
  await sleep(500)
  t.equal(calls(), 2, 'again after new activity')
})

t.test('a collection is a real full collection of V8', async t => {
  const { idle } = counted(10)
  t.teardown(() => { idle.stop() })
  let majors = 0
  const obs = new PerformanceObserver(list => {
    for (const e of list.getEntries()) if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++
  })
  obs.observe({ entryTypes: ['gc'] })
  try {
    idle.touch()
    await sleep(100)
  } finally { await sleep(20); obs.disconnect() }
  t.ok(majors >= 1, `V8 reported ${majors} major collection(s)`)
})

t.test('stop() cancels a pending collection', async t => {
  const { idle, calls } = counted(30)
  idle.touch(); idle.stop(); await sleep(100)
  t.equal(calls(), 0)
})

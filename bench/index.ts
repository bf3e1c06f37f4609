/**
 * `npm run bench [-- --json] [-- --only NAME[,NAME...]]`: runs every bench/*.bench.ts in order (or those whose file
 * name contains one of the NAMEs) and prints its figures. A bench file that throws is reported and the others still
 * run; the exit code is then 1.
 */
import '../node/polyfill.js'
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { performance } from 'node:perf_hooks'
import type { Figure, Reporter } from './reporter.js'

const args = process.argv.slice(2)
const json = args.includes('--json')
const onlyIdx = args.indexOf('--only')
const only = onlyIdx >= 0 ? (args[onlyIdx + 1] ?? '').split(',').filter(s => s !== '') : undefined

const here = dirname(fileURLToPath(import.meta.url))
const files = readdirSync(here).filter(f => f.endsWith('.bench.ts')).sort()
  .filter(f => only === undefined || only.some(o => f.includes(o)))

const figures: Figure[] = []
const fmt = (n: number): string => Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3)

const reporter: Reporter = {
  add (f) {
    figures.push(f)
    if (json) {
      const o: Record<string, unknown> = { name: f.name, value: f.value, unit: f.unit }
      if (f.reference !== undefined) o.reference = f.reference
      if (f.ratio !== undefined) o.ratio = f.ratio
      if (f.note !== undefined) o.note = f.note
      process.stdout.write(JSON.stringify(o) + '\n')
    } else {
      const ref = f.reference !== undefined ? `  reference ${fmt(f.reference)} ${f.unit}` : ''
      const ratio = f.ratio !== undefined ? `  ratio ${f.ratio.toFixed(2)}x` : ''
      const note = f.note !== undefined ? `  (${f.note})` : ''
      process.stdout.write(`${f.name.padEnd(52)} ${fmt(f.value).padStart(12)} ${f.unit}${ref}${ratio}${note}\n`)
    }
  },
  log (msg) { if (!json) process.stderr.write(`# ${msg}\n`) }
}

if (only !== undefined && files.length === 0) {
  process.stderr.write(`bench: no bench/*.bench.ts matches --only ${only.join(',')}\n`)
  process.exitCode = 1
}
const failed: string[] = []
for (const f of files) {
  reporter.log(`--- ${f}`)
  const t0 = performance.now()
  try {
    const mod = await import(pathToFileURL(join(here, f)).href) as { default: (r: Reporter) => Promise<void> }
    await mod.default(reporter)
  } catch (e) {
    failed.push(f)
    process.stderr.write(`bench: ${f} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
  }
  reporter.log(`${f}: ${((performance.now() - t0) / 1000).toFixed(1)} s`)
}
if (!json) process.stdout.write(`\n${figures.length} figures${failed.length > 0 ? `, FAILED: ${failed.join(', ')}` : ''}\n`)
if (failed.length > 0) process.exitCode = 1

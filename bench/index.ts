/**
 * `npm run bench [-- --json] [-- --only NAME]`: runs every bench/*.bench.ts in order and prints its figures.
 */
import '../node/polyfill.js'
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Figure, Reporter } from './reporter.js'

const args = process.argv.slice(2)
const json = args.includes('--json')
const onlyIdx = args.indexOf('--only')
const only = onlyIdx >= 0 ? args[onlyIdx + 1] : undefined

const here = dirname(fileURLToPath(import.meta.url))
const files = readdirSync(here).filter(f => f.endsWith('.bench.ts')).sort()
  .filter(f => only === undefined || f.includes(only))

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

for (const f of files) {
  reporter.log(`--- ${f}`)
  const mod = await import(pathToFileURL(join(here, f)).href) as { default: (r: Reporter) => Promise<void> }
  await mod.default(reporter)
}
if (!json) process.stdout.write(`\n${figures.length} figures\n`)

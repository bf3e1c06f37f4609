#!/usr/bin/env node
// Runs one test set with tap and ends with the plain line CI reads: `N passed, N failed`.
// Sets: fast (npm test: everything under test/ but test/slow and test/lab), slow (test/slow), lab (test/lab).
import { spawn } from 'node:child_process'
import { readdirSync, statSync, existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const set = process.argv[2] ?? 'fast'
const extra = process.argv.slice(3)

function walk (dir) {
  if (!existsSync(dir)) return []
  const out = []
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...walk(p))
    else if (/\.test\.tsx?$/.test(name)) out.push(p)
  }
  return out
}

const files = set === 'fast'
  ? walk('test').filter(f => !f.startsWith(join('test', 'slow')) && !f.startsWith(join('test', 'lab')))
  : walk(join('test', set))

if (files.length === 0) {
  console.log(`no test files for set "${set}"`)
  console.log('0 passed, 1 failed')
  process.exit(1)
}

const jobs = set === 'fast' ? '2' : '1'
const child = spawn('npx', ['tap', '--jobs', jobs, ...extra, ...files], { stdio: ['ignore', 'pipe', 'inherit'] })
let tail = ''
// CI shows only the end of its output: remember each failed test with the subtests it sits in,
// and name them again after the counts.
const failures = []
const stack = []
let partial = ''
function scan (line) {
  const indent = (line.match(/^ */) ?? [''])[0].length
  const level = Math.floor(indent / 4)
  const sub = line.match(/^\s*# Subtest: (.*)$/)
  if (sub != null) { stack.length = level; stack[level] = sub[1]; return }
  const bad = line.match(/^\s*not ok \d+ - (.*?)(?: # time=.*)?$/)
  if (bad != null && failures.length < 50 && !/ # (TODO|SKIP)\b/i.test(line)) { // a todo/skip is not a failure
    failures.push([...stack.slice(0, level), bad[1]].filter(Boolean).join(' > '))
  }
}
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk)
  const text = chunk.toString()
  tail = (tail + text).slice(-4096)
  const lines = (partial + text).split('\n')
  partial = lines.pop() ?? ''
  for (const line of lines) scan(line)
})
child.on('close', (code) => {
  const m = tail.match(/# \{([^}]*)\}/g)
  let pass = 0; let fail = 0; let skip = 0
  if (m != null) {
    const s = m[m.length - 1]
    const num = (k) => Number((s.match(new RegExp(`${k}: (\\d+)`)) ?? [])[1] ?? 0)
    pass = num('pass'); fail = num('fail'); skip = num('skip') + num('todo')
  }
  if (code !== 0 && fail === 0) fail = 1 // a crash or timeout with no counted failure still fails
  if (partial !== '') scan(partial)
  if (process.env.TERN_COUNTS_FILE) writeFileSync(process.env.TERN_COUNTS_FILE, JSON.stringify({ set, pass, fail, skip, code, failures }))
  for (const f of failures) console.log(`not ok: ${f}`)
  console.log(`${pass} passed, ${fail} failed${skip > 0 ? `, ${skip} skipped` : ''}`)
  process.exit(code ?? 1)
})

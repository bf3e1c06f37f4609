#!/usr/bin/env node
// `npm run vectors`: regenerates every test/vectors/*.json that Tern makes itself (scripts/gen-vectors-*.ts).
import { readdirSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
for (const f of readdirSync('scripts').filter(f => /^gen-vectors-.*\.ts$/.test(f)).sort()) {
  console.log(`vectors: ${f}`)
  execFileSync(process.execPath, ['--import=tsx', `scripts/${f}`], { stdio: 'inherit' })
}

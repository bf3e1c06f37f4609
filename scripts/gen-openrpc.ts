/**
 * Writes docs/openrpc.json from the RPC method table (node/rpc/methods.ts), the single source of truth of the API.
 * Run: npx tsx scripts/gen-openrpc.ts   (--check: exit 1 if the committed file is stale)
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { Dispatcher } from '../node/rpc/index.js'

const target = new URL('../docs/openrpc.json', import.meta.url)
const text = JSON.stringify(new Dispatcher().openRpc(), null, 2) + '\n'

if (process.argv.includes('--check')) {
  let current = ''
  try { current = readFileSync(target, 'utf8') } catch {}
  if (current !== text) {
    console.error('docs/openrpc.json is stale: run npx tsx scripts/gen-openrpc.ts')
    process.exit(1)
  }
  console.log('docs/openrpc.json is up to date')
} else {
  writeFileSync(target, text)
  console.log(`wrote ${target.pathname}`)
}

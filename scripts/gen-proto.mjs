#!/usr/bin/env node
// `npm run proto [-- FILE.proto...]`: regenerates the committed TypeScript for every .proto under protocol/,
// bootstrap/ and node/ (or the given files) with protons, then rewrites the type arguments for protons-runtime 8.
// protons 9.0.2 emits code typed for protons-runtime 7 (`Codec<T>`); runtime 8 types are `Codec<Decoded, Encoded>`.
// Only type arguments change; the runtime code is identical.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'

function walk (dir) {
  const out = []
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...walk(p))
    else if (name.endsWith('.proto')) out.push(p)
  }
  return out
}

const files = process.argv.length > 2 ? process.argv.slice(2) : ['protocol', 'bootstrap', 'node'].flatMap(walk)
for (const proto of files) {
  execFileSync('npx', ['protons', proto], { stdio: 'inherit' })
  const ts = proto.replace(/\.proto$/, '.ts')
  let s = readFileSync(ts, 'utf8')
  const messages = new Set([...s.matchAll(/\bmessage<([\w.]+)>\(/g)].map(m => m[1]))
  s = s.replace(/\bmessage<([\w.]+)>\(/g, 'message<$1, Partial<$1>>(')
  s = s.replace(/\bCodec<([\w.]+)>/g, (_, t) => messages.has(t) ? `Codec<${t}, Partial<${t}>>` : `Codec<${t}, ${t}>`)
  writeFileSync(ts, s)
  console.log(`proto: ${proto} -> ${ts}`)
}

/** The `tern` entry point: version in step with package.json, help with no arguments. */
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { VERSION } from '../cli/version.js'

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
const tern = (...args: string[]): string =>
  execFileSync(process.execPath, ['--import=tsx', new URL('../cli/bin.ts', import.meta.url).pathname, ...args], { encoding: 'utf8' })

t.equal(VERSION, pkg.version, 'cli/version.ts matches package.json')
t.equal(tern('--version').trim(), pkg.version, '`tern --version`')
t.match(tern('--help'), /relay/, '`tern --help` lists the relay command')

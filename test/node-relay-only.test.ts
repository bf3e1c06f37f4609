/**
 * Integration: two `tern daemon --relay-only` processes reach each other only through the relay's circuit
 * (path relayed, both ways), and a `tern status` / `tern send` / `tern messages` round over the socket.
 */
import '../node/polyfill.js'
import t from 'tap'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { befriend, startTestnet, until } from './helpers/testnet.js'
import { REPO_ROOT } from './helpers/relay-process.js'

interface Msg { id: string, text: string, status: string, path: string | null }

async function tern (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const proc = spawn(process.execPath, ['--import=tsx', join(REPO_ROOT, 'cli', 'bin.ts'), ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''; let stderr = ''
  proc.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c })
  proc.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c })
  const timer = setTimeout(() => { proc.kill('SIGKILL') }, 60_000)
  const code = await new Promise<number | null>(resolve => proc.on('exit', resolve))
  clearTimeout(timer)
  return { code, stdout, stderr }
}

t.test('relay-only: messages both ways on a relayed path', async t => {
  const net = await startTestnet(t, ['Alice', 'Bob'], { relayOnly: true })
  const [alice, bob] = net.nodes
  for (const n of net.nodes) {
    const st = await until(async () => {
      const s = await n.call<{ addresses: string[] }>('node.status')
      return s.addresses.some(a => a.includes('/p2p-circuit')) ? s : undefined
    }, 'reservation held')
    t.notOk(st.addresses.some(a => !a.includes('/p2p-circuit')), 'only circuit addresses')
  }
  const { aSeesB, bSeesA } = await befriend(alice, bob)
  const m1 = await alice.call<Msg>('messages.send', { to: aSeesB, text: 'through the relay' })
  const d1 = await until(async () => (await alice.call<{ messages: Msg[] }>('messages.list', { with: aSeesB })).messages.find(m => m.id === m1.id && m.status === 'delivered'), 'delivered')
  t.equal(d1.path, 'relayed', 'alice → bob relayed')
  const m2 = await bob.call<Msg>('messages.send', { to: bSeesA, text: 'and back' })
  const d2 = await until(async () => (await bob.call<{ messages: Msg[] }>('messages.list', { with: bSeesA })).messages.find(m => m.id === m2.id && m.status === 'delivered'), 'delivered back')
  t.equal(d2.path, 'relayed', 'bob → alice relayed')

  // the scripting commands over the same socket
  const status = await tern(['status', '--home', alice.home, '--json'])
  t.equal(status.code, 0, status.stderr)
  t.equal(JSON.parse(status.stdout).peerId, alice.peerId)
  const sent = await tern(['send', 'A', 'from the cli', '--home', bob.home, '--json'])
  t.equal(sent.code, 0, sent.stderr)
  t.equal(JSON.parse(sent.stdout).text, 'from the cli')
  await until(async () => (await alice.call<{ messages: Msg[] }>('messages.list', { with: aSeesB })).messages.some(m => m.text === 'from the cli'), 'cli message arrived')
  const list = await tern(['messages', bSeesA, '--home', bob.home, '--json'])
  t.equal(list.code, 0, list.stderr)
  t.ok((JSON.parse(list.stdout) as { messages: Msg[] }).messages.some(m => m.text === 'and back'))
  const contacts = await tern(['contacts', '--home', bob.home])
  t.match(contacts.stdout, /A\s+established/)
})

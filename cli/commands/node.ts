/**
 * `tern init`, `tern daemon` and the scripting commands that talk to a running daemon over `<home>/rpc.sock`
 * (status, invite, add, contacts, send, messages, rpc). Owns: argument handling, passphrase sources, output
 * formats (human or --json). Must not know: how the daemon works inside.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'
import { resolveHome, initHome, type KdfParams } from '../../node/home/index.js'
import { ed25519KeyPair, systemRng } from '../../protocol/crypto/index.js'
import { generateIdentity, serializeIdentity, peerIdStringFromIdentity } from '../../protocol/identity/index.js'
import { SOCKET_FILE, connect, type RpcClient } from '../../node/rpc/index.js'

/** Environment variable holding the passphrase (for scripts and services). */
export const PASSPHRASE_ENV = 'TERN_PASSPHRASE'
/** TEST ONLY: log2 of the scrypt cost for new keystores (keeps test suites fast). Never set it for real use. */
export const TEST_KDF_ENV = 'TERN_TEST_KDF_LOG_N'
/** EXPERIMENTAL (NAT lab, docs/lab.md): local TCP port of every outgoing dial, for DCUtR hole punching through cone NATs. */
export const TCP_DIAL_PORT_ENV = 'TERN_TCP_DIAL_PORT'

/** The experimental dial port, if set. */
export function tcpDialPortFromEnv (): number | undefined {
  const v = process.env[TCP_DIAL_PORT_ENV]
  if (v === undefined || v === '') return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${TCP_DIAL_PORT_ENV}: expected a port 1..65535`)
  return n
}

export interface HomeOpts { home?: string }

export function homeOf (opts: HomeOpts): string {
  return resolveHome({ home: opts.home })
}

/** The test-only KDF override, if set. */
export function kdfFromEnv (): Partial<KdfParams> | undefined {
  const v = process.env[TEST_KDF_ENV]
  if (v === undefined || v === '') return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < 10 || n > 20) throw new Error(`${TEST_KDF_ENV}: expected an integer 10..20`)
  return { N: 2 ** n }
}

/** Passphrase from TERN_PASSPHRASE, --passphrase-file (first line), or (if `prompt`) the terminal. */
export async function readPassphrase (opts: { passphraseFile?: string }, prompt: string | undefined): Promise<string | undefined> {
  if (opts.passphraseFile !== undefined) {
    const text = await readFile(opts.passphraseFile, 'utf8')
    const line = text.split(/\r?\n/)[0] ?? ''
    if (line === '') throw new Error('the passphrase file is empty')
    return line
  }
  const env = process.env[PASSPHRASE_ENV]
  if (env !== undefined && env !== '') return env
  if (prompt === undefined || process.stdin.isTTY !== true) return undefined
  return await promptHidden(prompt)
}

async function promptHidden (question: string): Promise<string> {
  process.stderr.write(question)
  const mute = new Writable({ write (_chunk, _enc, cb) { cb() } })
  const rl = createInterface({ input: process.stdin, output: mute, terminal: true })
  const answer = await new Promise<string>(resolve => rl.question('', resolve))
  rl.close()
  process.stderr.write('\n')
  return answer
}

function fail (message: string, code = 1): never {
  process.stderr.write(`tern: ${message}\n`)
  process.exit(code)
}

// ---- tern init

export async function runInit (opts: HomeOpts & { name?: string, relay?: string[], passphraseFile?: string, json?: boolean }): Promise<void> {
  const home = homeOf(opts)
  if (opts.name === undefined || opts.name === '') fail('--name is required')
  const passphrase = await readPassphrase(opts, 'New passphrase: ')
  if (passphrase === undefined || passphrase === '') fail(`no passphrase: set ${PASSPHRASE_ENV}, pass --passphrase-file, or run on a terminal`)
  const identity = generateIdentity(systemRng)
  const owner = ed25519KeyPair(systemRng)
  const { SECRET_IDENTITY, SECRET_MAILBOX_OWNER } = await import('../../node/daemon.js')
  try {
    const config = await initHome(home, {
      config: { name: opts.name, relays: opts.relay ?? [] },
      passphrase,
      secrets: { [SECRET_IDENTITY]: serializeIdentity(identity), [SECRET_MAILBOX_OWNER]: owner.secretKey },
      kdf: kdfFromEnv()
    })
    const peerId = peerIdStringFromIdentity(identity.signing.publicKey)
    if (opts.json === true) process.stdout.write(JSON.stringify({ home, peerId, name: config.name, relays: config.relays }) + '\n')
    else process.stdout.write(`initialised ${home}\npeer id: ${peerId}\n`)
  } catch (err) {
    fail(`${(err as { code?: string }).code ?? 'error'}: ${(err as Error).message}`)
  } finally {
    identity.signing.secretKey.fill(0); identity.agreement.secretKey.fill(0); owner.secretKey.fill(0)
  }
}

// ---- tern daemon

/** `HOST:PORT` or `[IPv6]:PORT` (port 0 picks a free one). */
export function parseHostPort (value: string): { host: string, port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(value)
  const port = m !== null ? Number(m[3]) : NaN
  if (m === null || port > 65535) throw new Error(`expected HOST:PORT, got ${JSON.stringify(value)}`)
  return { host: m[1] ?? m[2], port }
}

export async function runDaemonCommand (opts: HomeOpts & {
  listen?: string[], bootstrap?: string[], relayOnly?: boolean, passphraseFile?: string, rpcTcp?: string, rpcTcpInsecure?: boolean
}): Promise<void> {
  const home = homeOf(opts)
  let rpcTcp: { host: string, port: number, insecure: boolean } | undefined
  if (opts.rpcTcp !== undefined) {
    try { rpcTcp = { ...parseHostPort(opts.rpcTcp), insecure: opts.rpcTcpInsecure === true } } catch (err) { fail(`--rpc-tcp: ${(err as Error).message}`) }
  } else if (opts.rpcTcpInsecure === true) fail('--rpc-tcp-insecure needs --rpc-tcp HOST:PORT')
  const passphrase = await readPassphrase(opts, undefined)
  const { runDaemon } = await import('../../node/daemon.js')
  const out = (msg: string, fields: Record<string, unknown> = {}): void => {
    process.stdout.write(JSON.stringify({ msg, ...fields }) + '\n')
  }
  let daemon
  try {
    daemon = await runDaemon({
      home,
      listen: opts.listen,
      bootstrap: opts.bootstrap,
      relayOnly: opts.relayOnly === true,
      passphrase,
      kdf: kdfFromEnv(),
      tcpDialPort: tcpDialPortFromEnv(),
      log: out,
      rpcTcp
    })
  } catch (err) {
    fail(`${(err as { code?: string }).code ?? 'error'}: ${(err as Error).message}`)
  }
  const d = daemon
  const onSignal = (sig: string): void => {
    out('signal', { signal: sig })
    void d.stop().then(() => process.exit(0), () => process.exit(1))
  }
  process.once('SIGTERM', () => { onSignal('SIGTERM') })
  process.once('SIGINT', () => { onSignal('SIGINT') })
  await d.stopped
}

// ---- scripting commands

async function client (opts: HomeOpts): Promise<RpcClient> {
  const home = homeOf(opts)
  try {
    return await connect({ socketPath: join(home, SOCKET_FILE), reconnect: false })
  } catch (err) {
    fail(`cannot reach the daemon at ${join(home, SOCKET_FILE)} (is \`tern daemon\` running?): ${(err as Error).message}`)
  }
}

async function withClient<T> (opts: HomeOpts, fn: (c: RpcClient) => Promise<T>): Promise<T> {
  const c = await client(opts)
  try {
    return await fn(c)
  } catch (err) {
    const e = err as { code?: number | string, message?: string, data?: { code?: string } }
    fail(`${e.data?.code ?? String(e.code ?? 'error')}: ${e.message ?? String(err)}`)
  } finally {
    await c.close()
  }
}

interface ContactView { id: string, peerId: string, name: string, state: string, online: boolean, verified: boolean, blocked: boolean, unread: number }
interface MessageView { id: string, seq: number, direction: string, text: string, sentAt: number, status: string, path: string | null }

/** A contact by id, exact name or PeerId. */
async function resolveContact (c: RpcClient, ref: string): Promise<string> {
  const { contacts } = await c.call('contacts.list') as { contacts: ContactView[] }
  const hit = contacts.find(x => x.id === ref) ?? contacts.find(x => x.peerId === ref) ?? contacts.filter(x => x.name === ref)[0]
  if (hit === undefined) fail(`no contact ${JSON.stringify(ref)}`)
  return hit.id
}

const print = (json: boolean | undefined, value: unknown, human: () => string): void => {
  process.stdout.write((json === true ? JSON.stringify(value) : human()) + '\n')
}

export async function runStatus (opts: HomeOpts & { json?: boolean }): Promise<void> {
  await withClient(opts, async c => {
    const s = await c.call('node.status') as Record<string, unknown>
    print(opts.json, s, () => s.locked === true
      ? `locked (${s.initialised === true ? 'run `tern rpc node.unlock` or restart with a passphrase' : 'not initialised'})`
      : [`peer id:   ${String(s.peerId)}`, `name:      ${String(s.name)}`, `online:    ${String(s.online)} (${String(s.peers)} peers)`,
          ...((s.addresses as string[] | undefined) ?? []).map(a => `address:   ${a}`)].join('\n'))
  })
}

export async function runInvite (opts: HomeOpts & { json?: boolean, expires?: string }): Promise<void> {
  await withClient(opts, async c => {
    const params = opts.expires !== undefined ? { expiresInSeconds: Number(opts.expires) } : {}
    const r = await c.call('invite.create', params) as { invite: string, expiresAt: number }
    print(opts.json, r, () => r.invite)
  })
}

export async function runAdd (invite: string, opts: HomeOpts & { json?: boolean, name?: string }): Promise<void> {
  await withClient(opts, async c => {
    const r = await c.call('contacts.add', { invite, ...(opts.name !== undefined ? { name: opts.name } : {}) }) as ContactView
    print(opts.json, r, () => `added ${r.name} (${r.id}), ${r.state}`)
  })
}

export async function runContacts (opts: HomeOpts & { json?: boolean }): Promise<void> {
  await withClient(opts, async c => {
    const r = await c.call('contacts.list') as { contacts: ContactView[] }
    print(opts.json, r, () => r.contacts.map(x => `${x.id}  ${x.name}  ${x.state}${x.online ? '  online' : ''}${x.blocked ? '  blocked' : ''}${x.unread > 0 ? `  ${x.unread} unread` : ''}`).join('\n') || '(no contacts)')
  })
}

export async function runSend (contact: string, text: string, opts: HomeOpts & { json?: boolean, idempotencyKey?: string }): Promise<void> {
  await withClient(opts, async c => {
    const to = await resolveContact(c, contact)
    const r = await c.call('messages.send', { to, text, ...(opts.idempotencyKey !== undefined ? { idempotencyKey: opts.idempotencyKey } : {}) }) as MessageView
    print(opts.json, r, () => `${r.id} ${r.status}`)
  })
}

export async function runMessages (contact: string, opts: HomeOpts & { json?: boolean, limit?: string }): Promise<void> {
  await withClient(opts, async c => {
    const id = await resolveContact(c, contact)
    const r = await c.call('messages.list', { with: id, ...(opts.limit !== undefined ? { limit: Number(opts.limit) } : {}) }) as { messages: MessageView[] }
    print(opts.json, r, () => r.messages.map(m => `${m.seq} ${m.direction === 'out' ? '>' : '<'} ${m.text}  [${m.status}${m.path !== null ? ', ' + m.path : ''}]`).join('\n'))
  })
}

export async function runRpc (method: string, params: string | undefined, opts: HomeOpts & { json?: boolean }): Promise<void> {
  let p: unknown
  if (params !== undefined) {
    try { p = JSON.parse(params) } catch { fail('params: not valid JSON') }
  }
  await withClient(opts, async c => {
    const r = await c.call(method, p as Record<string, unknown> | undefined)
    process.stdout.write(JSON.stringify(r, null, opts.json === true ? undefined : 2) + '\n')
  })
}

/**
 * A local mailbox testnet: a relay-like host carrying the mailbox service, and client nodes, all on
 * 127.0.0.1/tcp/0. Callers stop what they start (`stop()` on each).
 */
import '../../node/polyfill.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { createLibp2p, type Libp2p } from 'libp2p'
import { LOOPBACK_BASE } from './msg-pair.js'
import { mailboxServer, type MailboxLimits, type MailboxService, type MailboxEvent } from '../../bootstrap/mailbox/index.js'

const base = LOOPBACK_BASE

export type MailboxHost = Libp2p<{ mailbox: MailboxService }>

export interface HostOptions {
  dbPath: string
  limits?: Partial<MailboxLimits>
  allowOwners?: 'any' | string[]
  now?: () => number
  privateKey?: PrivateKey
  onEvent?: (e: MailboxEvent) => void
  frameTimeoutMs?: number
}

export async function startHost (o: HostOptions): Promise<MailboxHost> {
  return await createLibp2p({
    ...base,
    privateKey: o.privateKey,
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    services: {
      mailbox: mailboxServer({
        dbPath: o.dbPath,
        limits: { ...o.limits } as MailboxLimits,
        allowOwners: o.allowOwners ?? 'any',
        now: o.now,
        onEvent: o.onEvent,
        frameTimeoutMs: o.frameTimeoutMs
      })
    }
  })
}

export async function startClient (privateKey?: PrivateKey): Promise<Libp2p> {
  return await createLibp2p({ ...base, privateKey, addresses: { listen: [] } })
}

export async function newPeerKey (): Promise<PrivateKey> { return await generateKeyPair('Ed25519') }

export function tempDir (name = 'tern-mailbox-'): { path: string, cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), name))
  return { path, cleanup: () => { rmSync(path, { recursive: true, force: true }) } }
}

export function dbDir (dir: string): string { return join(dir, 'mailbox') }

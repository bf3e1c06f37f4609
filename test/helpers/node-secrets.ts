/**
 * TEST ONLY: opens a stopped node's home in-process with the test passphrase, collects its secrets (identity keys,
 * mailbox owner key, database key, every session's root and chain keys, invite secrets) and searches every file under
 * the home for them and for message texts, raw, hex, base64 and base64url. Nothing here is reachable from the daemon.
 */
import { join } from 'node:path'
import { unlockKeystore, wipeKeys } from '../../node/home/index.js'
import { openStore, prefixRange, PREFIX } from '../../node/store/index.js'
import { SECRET_IDENTITY, SECRET_MAILBOX_OWNER } from '../../node/daemon.js'
import { deserializeIdentity } from '../../protocol/identity/index.js'
import { deserializeState } from '../../protocol/ratchet/index.js'
import { parseInvite } from '../../protocol/invite/index.js'
import { fromBase64url } from '../../protocol/crypto/index.js'
import { readTree } from './tmp.js'
import { TEST_PASSPHRASE } from './testnet.js'

/** Files meant for local clients (none today besides the socket, which is not a regular file). */
const EXEMPT = /(^|\/)rpc\.token$/

export interface SecretSet { name: string, bytes: Uint8Array }

export async function collectSecrets (home: string, inviteUris: string[] = []): Promise<SecretSet[]> {
  const keys = await unlockKeystore(home, TEST_PASSPHRASE)
  const out: SecretSet[] = [{ name: 'dbKey', bytes: keys.dbKey.slice() }]
  const id = deserializeIdentity(keys.secrets[SECRET_IDENTITY])
  out.push({ name: 'identity signing seed', bytes: id.signing.secretKey.slice() }, { name: 'identity agreement secret', bytes: id.agreement.secretKey.slice() })
  out.push({ name: 'mailbox owner seed', bytes: keys.secrets[SECRET_MAILBOX_OWNER].slice() })
  const store = await openStore(join(home, 'db'), keys.dbKey)
  try {
    for (const { value } of await store.listJson<{ state: string }>(prefixRange(PREFIX.session))) {
      const s = deserializeState(fromBase64url(value.state))
      out.push({ name: 'root key', bytes: s.rootKey.slice() })
      if (s.sendChainKey !== null) out.push({ name: 'send chain key', bytes: s.sendChainKey.slice() })
      if (s.recvChainKey !== null) out.push({ name: 'recv chain key', bytes: s.recvChainKey.slice() })
    }
  } finally {
    await store.close()
    wipeKeys(keys)
  }
  for (const uri of inviteUris) {
    try { out.push({ name: 'invite secret', bytes: parseInvite(uri, 0).secret }) } catch {}
  }
  return out
}

/** Returns a description of every hit ([] when the home is clean). */
export async function scanHomeForSecrets (home: string, texts: string[], inviteUris: string[] = []): Promise<string[]> {
  const secrets = await collectSecrets(home, inviteUris)
  const needles: Array<{ what: string, bytes: Buffer }> = []
  for (const t of texts) needles.push({ what: `text ${JSON.stringify(t.slice(0, 12))}…`, bytes: Buffer.from(t, 'utf8') })
  for (const s of secrets) {
    const b = Buffer.from(s.bytes)
    needles.push({ what: `${s.name} (raw)`, bytes: b }, { what: `${s.name} (hex)`, bytes: Buffer.from(b.toString('hex')) },
      { what: `${s.name} (base64)`, bytes: Buffer.from(b.toString('base64').replace(/=+$/, '')) },
      { what: `${s.name} (base64url)`, bytes: Buffer.from(b.toString('base64url')) })
  }
  const hits: string[] = []
  for (const f of await readTree(home)) {
    if (EXEMPT.test(f.path)) continue
    for (const n of needles) if (f.bytes.includes(n.bytes)) hits.push(`${n.what} in ${f.path}`)
  }
  if (secrets.length < 5) hits.push(`only ${secrets.length} secrets collected: the scan would prove little`)
  return hits
}

/**
 * Handshake throughput (PROTOCOL.md §5): full handshakes per second, request + open + accept + complete, measured
 * with prekeys generated ahead and with fresh prekeys per request (as the node does). Reported as test comments.
 */
import t from 'tap'
import { performance } from 'node:perf_hooks'
import { seededRng, systemRng } from '../protocol/crypto/index.js'
import { generateIdentity } from '../protocol/identity/index.js'
import { createInvite } from '../protocol/invite/index.js'
import { generatePqPreKey, generateSignedPreKey } from '../protocol/prekeys/index.js'
import { acceptContactRequest, completeContactAccept, createContactRequest, openContactRequest } from '../protocol/handshake/index.js'

const NOW = 1_750_000_000_000
const rng = seededRng('bench')
const alice = generateIdentity(rng)
const bob = generateIdentity(rng)
const spk0 = generateSignedPreKey(bob, 1, rng)
const pq0 = generatePqPreKey(bob, 2, rng)
const hello = new TextEncoder().encode('hello')

function handshake (fresh: boolean): void {
  const inv = createInvite({ identity: alice, relayAddr: Uint8Array.of(1, 2, 3), mailbox: { queueId: new Uint8Array(16), depositToken: new Uint8Array(32) }, expiresAt: NOW / 1000 + 60, rng: systemRng })
  const spk = fresh ? generateSignedPreKey(bob, 1, systemRng) : spk0
  const pq = fresh ? generatePqPreKey(bob, 2, systemRng) : pq0
  const req = createContactRequest({ invite: inv.invite, myIdentity: bob, signedPreKey: spk, pqPreKey: pq, name: 'Bob', contactInfo: hello, now: NOW, rng: systemRng })
  const opened = openContactRequest({ bytes: req.request, invite: inv.record, myIdentity: alice, now: NOW })
  const acc = acceptContactRequest({ opened, myIdentity: alice, firstPlaintext: hello, rng: systemRng })
  completeContactAccept({ bytes: acc.accept, pending: req.pending, myIdentity: bob, signedPreKey: spk, pqPreKey: pq })
}

/** Wall-clock rate, and the rate by this process's CPU time (less sensitive to other load on a shared machine). */
function measure (fresh: boolean, ms: number): { n: number, perSecond: number, msEach: number, cpuPerSecond: number } {
  for (let i = 0; i < 20; i++) handshake(fresh) // warm up
  const start = performance.now()
  const cpu0 = process.cpuUsage()
  let n = 0
  while (performance.now() - start < ms) { handshake(fresh); n++ }
  const elapsed = performance.now() - start
  const cpu = process.cpuUsage(cpu0)
  const cpuMs = (cpu.user + cpu.system) / 1000
  return { n, perSecond: Math.round(n / elapsed * 1000), msEach: Number((elapsed / n).toFixed(3)), cpuPerSecond: Math.round(n / cpuMs * 1000) }
}

t.test('handshakes per second', async (t) => {
  const pre = measure(false, 1500)
  const fresh = measure(true, 1500)
  t.comment(`invite + request + open + accept + complete, prekeys ready: ${pre.perSecond}/s wall (${pre.msEach} ms each, n=${pre.n}), ${pre.cpuPerSecond}/s by CPU time`)
  t.comment(`the same with fresh signed + ML-KEM prekeys per request: ${fresh.perSecond}/s wall (${fresh.msEach} ms each, n=${fresh.n}), ${fresh.cpuPerSecond}/s by CPU time`)
  t.comment(`load average while measuring: ${(await import('node:os')).loadavg().map(x => x.toFixed(1)).join(' ')}`)
  t.ok(pre.cpuPerSecond > 10, 'not pathologically slow (by CPU time, robust to a loaded machine)')
})

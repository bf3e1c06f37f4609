/**
 * Prometheus metrics of the relay (prom-client), served on http://HOST:PORT/metrics when `--metrics` is given.
 * Gauges are computed at scrape time from the running relay; counters come from mailbox events.
 * Names are documented in docs/deploy-relay.md; tests check them.
 */
import { createServer, type Server } from 'node:http'
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import type { MailboxEvent } from './mailbox-link.js'
import type { Relay } from './relay.js'

export interface RelayMetrics {
  registry: Registry
  /** feed mailbox events here (RelayInit.onMailboxEvent) */
  onMailboxEvent: (e: MailboxEvent) => void
  /** counts a SIGHUP reload */
  onReload: (ok: boolean) => void
  /** attaches the gauges to a started relay */
  attach: (relay: Relay) => void
}

export function createRelayMetrics (version: string): RelayMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  let relay: Relay | undefined

  new Gauge({ name: 'tern_relay_info', help: 'Relay build and identity (value is always 1)', labelNames: ['version', 'peer_id'], registers: [registry],
    collect () { if (relay !== undefined) this.set({ version, peer_id: relay.peerId.toString() }, 1) } })
  new Gauge({ name: 'tern_relay_connections', help: 'Open libp2p connections by direction', labelNames: ['direction'], registers: [registry],
    collect () {
      let inbound = 0; let outbound = 0
      for (const c of relay?.libp2p.getConnections() ?? []) { if (c.direction === 'inbound') inbound++; else outbound++ }
      this.set({ direction: 'inbound' }, inbound); this.set({ direction: 'outbound' }, outbound)
    } })
  new Gauge({ name: 'tern_relay_peers', help: 'Connected peers', registers: [registry],
    collect () { this.set(relay?.libp2p.getPeers().length ?? 0) } })
  new Gauge({ name: 'tern_relay_reservations', help: 'Circuit relay v2 reservations held', registers: [registry],
    collect () { this.set(relay?.reservations() ?? 0) } })
  new Gauge({ name: 'tern_relay_relayed_connections', help: 'Relayed (circuit) connections open through this relay', registers: [registry],
    collect () { this.set(relay?.relayedConnections() ?? 0) } })
  const queues = new Gauge({ name: 'tern_relay_mailbox_queues', help: 'Mailbox queues (owners with stored envelopes)', registers: [registry] })
  const envelopes = new Gauge({ name: 'tern_relay_mailbox_envelopes', help: 'Envelopes stored in the mailbox', registers: [registry] })
  new Gauge({ name: 'tern_relay_mailbox_bytes', help: 'Bytes of envelopes stored in the mailbox', registers: [registry],
    async collect () {
      const s = await relay?.mailboxStats()
      this.set(s?.bytes ?? 0); queues.set(s?.queues ?? 0); envelopes.set(s?.envelopes ?? 0)
    } })
  const events = new Counter({ name: 'tern_relay_mailbox_events_total', help: 'Mailbox operations served, by type (deposit, fetch, ack, push)', labelNames: ['type'], registers: [registry] })
  const eventBytes = new Counter({ name: 'tern_relay_mailbox_bytes_total', help: 'Envelope bytes deposited or fetched, by type', labelNames: ['type'], registers: [registry] })
  const refusals = new Counter({ name: 'tern_relay_mailbox_refusals_total', help: 'Mailbox requests refused, by reason', labelNames: ['reason'], registers: [registry] })
  const reloads = new Counter({ name: 'tern_relay_reloads_total', help: 'Configuration reloads (SIGHUP), by result', labelNames: ['result'], registers: [registry] })
  for (const type of ['deposit', 'fetch', 'ack', 'push']) events.inc({ type }, 0)
  for (const result of ['ok', 'error']) reloads.inc({ result }, 0)

  return {
    registry,
    onMailboxEvent (e) {
      if (e.type === 'refusal') {
        refusals.inc({ reason: e.reason ?? 'unknown' })
        return
      }
      events.inc({ type: e.type }, e.count ?? 1)
      if (e.bytes !== undefined) eventBytes.inc({ type: e.type }, e.bytes)
    },
    onReload (ok) { reloads.inc({ result: ok ? 'ok' : 'error' }) },
    attach (r) { relay = r }
  }
}

/** Serves `GET /metrics` on host:port; resolves once listening, with the bound port. */
export async function serveMetrics (registry: Registry, host: string, port: number): Promise<{ server: Server, port: number, close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
      return
    }
    registry.metrics().then(text => {
      res.writeHead(200, { 'content-type': registry.contentType }).end(text)
    }, (err: Error) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics error: ${err.name}\n`)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => { server.off('error', reject); resolve() })
  })
  const addr = server.address()
  const bound = typeof addr === 'object' && addr !== null ? addr.port : port
  return {
    server,
    port: bound,
    close: async () => { await new Promise<void>(resolve => { server.close(() => resolve()); server.closeAllConnections() }) }
  }
}

/**
 * The NAT lab's network (docs/lab.md): network namespaces, veth pairs, one bridge and nftables, built and torn down
 * with iproute2 and nft. Owns: the topology, addressing, NAT modes, link cut/heal, byte counters. Must not know: Tern.
 *
 *   [P-relay] 11.0.0.1 ──┐
 *   [P-ra] 11.0.0.2 ─────┤ bridge br0 in [P-inet]   ("internet" 11.0.0.0/24, never routed outside the lab)
 *   [P-rb] 11.0.0.3 ─────┘
 *   [P-ra] lan 192.168.1.1 ── [P-a] 192.168.1.2     (home A behind NAT router ra)
 *   [P-rb] lan 192.168.2.1 ── [P-b] 192.168.2.2     (home B behind NAT router rb)
 *
 * Every interface is created directly inside a lab namespace (`ip link add ... netns`), so nothing is ever added to,
 * or changed in, the root namespace. Routers masquerade the LAN out of `wan` and drop unsolicited inbound traffic
 * like a home router: cone = port-preserving masquerade (endpoint-independent mapping), symmetric = `fully-random`
 * (a new random public port per connection).
 */
import { execFileSync } from 'node:child_process'

export type NatMode = 'cone' | 'symmetric'

export const RELAY_IP = '11.0.0.1'
export const ROUTER_A_IP = '11.0.0.2'
export const ROUTER_B_IP = '11.0.0.3'
export const HOME_A_IP = '192.168.1.2'
export const HOME_B_IP = '192.168.2.2'

export interface Lab {
  prefix: string
  mode: NatMode
  ns: { inet: string, relay: string, ra: string, rb: string, a: string, b: string }
  /** runs a command inside a lab namespace */
  exec: (ns: string, cmd: string[]) => string
  /** the argv prefix that runs a program inside a namespace */
  wrap: (ns: string, cmd: string[]) => string[]
  /** sets a router's internet link down or up */
  setWan: (router: 'ra' | 'rb', up: boolean) => void
  /** bytes received + sent on the relay host's interface */
  relayBytes: () => number
  teardown: () => void
}

function run (cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: [input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'] })
}

/** Namespaces whose names start with `prefix` (to verify teardown). */
export function namespacesWithPrefix (prefix: string): string[] {
  return run('ip', ['netns', 'list']).split('\n').map(l => l.split(' ')[0]).filter(n => n !== '' && n.startsWith(prefix))
}

/** Throws a clear error when the lab cannot be built here (not root, no ip/nft/netns). */
export function assertLabPossible (): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) throw new Error('NAT lab needs root (ip netns, nftables): run `npm run test:lab` as root')
  for (const tool of ['ip', 'nft', 'ss', 'conntrack']) {
    try { run('sh', ['-c', `command -v ${tool}`]) } catch { throw new Error(`NAT lab needs \`${tool}\` (apt-get install iproute2 nftables conntrack)`) }
  }
}

let counter = 0

export function buildLab (mode: NatMode): Lab {
  assertLabPossible()
  const prefix = `tl${process.pid}x${counter++}`
  const ns = { inet: `${prefix}-inet`, relay: `${prefix}-relay`, ra: `${prefix}-ra`, rb: `${prefix}-rb`, a: `${prefix}-a`, b: `${prefix}-b` }
  const created: string[] = []
  const ip = (n: string, ...args: string[]): string => run('ip', ['-n', n, ...args])
  const sysctl = (n: string, key: string, value: string): void => { run('ip', ['netns', 'exec', n, 'sysctl', '-qw', `${key}=${value}`]) }
  const teardown = (): void => {
    // deleting a namespace deletes its veth ends (and their peers) and its nftables tables
    for (const n of created.splice(0).reverse()) { try { run('ip', ['netns', 'del', n]) } catch {} }
    const left = namespacesWithPrefix(prefix)
    for (const n of left) { try { run('ip', ['netns', 'del', n]) } catch {} }
    if (namespacesWithPrefix(prefix).length > 0) throw new Error(`lab teardown left namespaces: ${namespacesWithPrefix(prefix).join(', ')}`)
  }
  try {
    for (const n of Object.values(ns)) {
      run('ip', ['netns', 'add', n])
      created.push(n)
      ip(n, 'link', 'set', 'lo', 'up')
      // explicit per-namespace settings (never the root namespace's)
      sysctl(n, 'net.ipv4.ip_forward', n === ns.ra || n === ns.rb ? '1' : '0')
      sysctl(n, 'net.ipv4.conf.all.rp_filter', '0')
      sysctl(n, 'net.ipv4.conf.default.rp_filter', '0')
      sysctl(n, 'net.ipv6.conf.all.disable_ipv6', '1')
    }
    ip(ns.inet, 'link', 'add', 'br0', 'type', 'bridge')
    ip(ns.inet, 'link', 'set', 'br0', 'up')
    const wanOf: Array<[string, string, string]> = [[ns.relay, 'p-relay', RELAY_IP], [ns.ra, 'p-ra', ROUTER_A_IP], [ns.rb, 'p-rb', ROUTER_B_IP]]
    for (const [n, port, addr] of wanOf) {
      const dev = n === ns.relay ? 'eth0' : 'wan'
      ip(n, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', port, 'netns', ns.inet)
      ip(ns.inet, 'link', 'set', port, 'master', 'br0')
      ip(ns.inet, 'link', 'set', port, 'up')
      ip(n, 'addr', 'add', `${addr}/24`, 'dev', dev)
      ip(n, 'link', 'set', dev, 'up')
    }
    const homes: Array<[string, string, string, string]> = [[ns.ra, ns.a, '192.168.1.1', HOME_A_IP], [ns.rb, ns.b, '192.168.2.1', HOME_B_IP]]
    for (const [router, home, gw, addr] of homes) {
      ip(router, 'link', 'add', 'lan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', home)
      ip(router, 'addr', 'add', `${gw}/24`, 'dev', 'lan')
      ip(router, 'link', 'set', 'lan', 'up')
      ip(home, 'addr', 'add', `${addr}/24`, 'dev', 'eth0')
      ip(home, 'link', 'set', 'eth0', 'up')
      ip(home, 'route', 'add', 'default', 'via', gw)
      const masq = mode === 'cone' ? 'masquerade' : 'masquerade fully-random'
      run('ip', ['netns', 'exec', router, 'nft', '-f', '-'], `
table ip ternlab {
  chain nat_out { type nat hook postrouting priority srcnat; policy accept; oifname "wan" ${masq}; }
  chain forwarding { type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "lan" oifname "wan" accept
  }
  chain incoming { type filter hook input priority filter; policy accept;
    iifname "wan" ct state established,related accept
    iifname "wan" drop
  }
}
`)
    }
  } catch (err) {
    teardown()
    throw err
  }
  const wrap = (n: string, cmd: string[]): string[] => ['ip', 'netns', 'exec', n, ...cmd]
  return {
    prefix,
    mode,
    ns,
    exec: (n, cmd) => run('ip', ['netns', 'exec', n, ...cmd]),
    wrap,
    setWan: (router, up) => { ip(ns[router], 'link', 'set', 'wan', up ? 'up' : 'down') },
    relayBytes: () => {
      const j = JSON.parse(run('ip', ['-n', ns.relay, '-s', '-j', 'link', 'show', 'eth0'])) as Array<{ stats64: { rx: { bytes: number }, tx: { bytes: number } } }>
      return j[0].stats64.rx.bytes + j[0].stats64.tx.bytes
    },
    teardown
  }
}

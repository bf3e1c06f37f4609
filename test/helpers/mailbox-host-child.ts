/**
 * Child process for crash tests: starts a mailbox host on argv[2] (dbPath), prints one JSON line
 * {"addrs": [...]} on stdout, and runs until killed.
 */
import '../../node/polyfill.js'
import { startHost } from './mailbox-net.js'

const host = await startHost({ dbPath: process.argv[2] })
process.stdout.write(JSON.stringify({ addrs: host.getMultiaddrs().map(a => a.toString()) }) + '\n')
process.on('SIGTERM', () => { void Promise.resolve(host.stop()).then(() => process.exit(0)) })
setInterval(() => {}, 1 << 30)

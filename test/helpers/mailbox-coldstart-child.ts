/**
 * Cold-start probe (bench/mailbox.bench.ts): a fresh process starts a mailbox host on an existing db, then a client
 * node fetches one envelope from it. Prints one JSON line: ms from process start to the modules being loaded, the host being up and to the
 * first envelope fetched. argv: dbPath ownerPeerKeyHex ownerSeedHex queueIdHex.
 */
import '../../node/polyfill.js'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { ed25519PublicKey } from '../../protocol/crypto/index.js'
import { MailboxClient } from '../../bootstrap/mailbox/index.js'
import { startClient, startHost } from './mailbox-net.js'

const [dbPath, peerKeyHex, seedHex, queueHex] = process.argv.slice(2)
const sinceStart = (): number => performance.now() // ms since this process's time origin
const modulesLoaded = sinceStart()
const host = await startHost({ dbPath })
const hostUp = sinceStart()
const node = await startClient(privateKeyFromProtobuf(Buffer.from(peerKeyHex, 'hex')))
const secretKey = new Uint8Array(Buffer.from(seedHex, 'hex'))
const c = new MailboxClient({ libp2p: node, relay: host.getMultiaddrs(), ownerKey: { secretKey, publicKey: ed25519PublicKey(secretKey) } })
const got = await c.fetch(new Uint8Array(Buffer.from(queueHex, 'hex')), { maxCount: 1 })
const firstFetched = sinceStart()
const stats = await host.services.mailbox.stats()
process.stdout.write(JSON.stringify({ modulesLoaded, hostUp, firstFetched, got: got.length, stats }) + '\n')
await c.close(); await node.stop(); await host.stop()

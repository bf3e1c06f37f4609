/**
 * One write(2) per send on a TCP connection. @libp2p/tcp writes every chunk of what its connection is given with its
 * own socket.write(), and Noise hands it each message as two chunks (the 2-byte length, then the ciphertext): with
 * TCP_NODELAY that is two syscalls and two segments per Noise message, so the receiving node is woken twice and a
 * yamux frame costs both sides twice the kernel work. Measured on loopback here: 4 writes per chat message on each
 * side, half of them 2-byte length prefixes. Joining the chunks first halves that; the bytes on the wire are the same.
 *
 * Hooked where the TCP transport hands a new raw connection to the upgrader (dial and listen), so nothing of
 * @libp2p/tcp is patched. Owns nothing else.
 */
import { Uint8ArrayList } from 'uint8arraylist'
import type { CreateListenerOptions, DialTransportOptions, MultiaddrConnection, Transport, Upgrader } from '@libp2p/interface'

/** The part of a raw connection this module changes: AbstractMessageStream's sendData, called with all queued bytes. */
interface SendsData {
  sendData?: (data: Uint8ArrayList) => { sentBytes: number, canSendMore: boolean }
}

/** Makes `maConn` write what one sendData() call is given as ONE buffer. Idempotent. */
export function coalesceWrites (maConn: MultiaddrConnection): MultiaddrConnection {
  const conn = maConn as unknown as SendsData & { [COALESCED]?: true }
  const send = conn.sendData
  if (typeof send !== 'function' || conn[COALESCED] === true) return maConn
  conn[COALESCED] = true
  conn.sendData = function (data: Uint8ArrayList) {
    // subarray(): the one chunk itself, or one new buffer holding all of them
    return send.call(this, new Uint8ArrayList(data.subarray()))
  }
  return maConn
}

const COALESCED = Symbol('tern.coalescedWrites')

function wrapUpgrader (upgrader: Upgrader): Upgrader {
  return new Proxy(upgrader, {
    get (target, prop, receiver) {
      if (prop === 'upgradeOutbound' || prop === 'upgradeInbound') {
        const fn = Reflect.get(target, prop, receiver) as (maConn: MultiaddrConnection, opts: unknown) => Promise<unknown>
        return async (maConn: MultiaddrConnection, opts: unknown) => await fn.call(target, coalesceWrites(maConn), opts)
      }
      return Reflect.get(target, prop, receiver)
    }
  })
}

/** A transport factory whose connections coalesce their writes (see above). */
export function withCoalescedWrites<C> (factory: (components: C) => Transport): (components: C) => Transport {
  return (components) => {
    const transport = factory(components)
    const dial = transport.dial.bind(transport)
    const createListener = transport.createListener.bind(transport)
    transport.dial = async (ma, options: DialTransportOptions) => await dial(ma, { ...options, upgrader: wrapUpgrader(options.upgrader) })
    transport.createListener = (options: CreateListenerOptions) => createListener({ ...options, upgrader: wrapUpgrader(options.upgrader) })
    return transport
  }
}

/** Constants of the node's libp2p host (PROTOCOL.md §9, §12). */

/** Tern's own DHT protocol id, separate from IPFS's (same as bootstrap/config.ts TERN_KAD_PROTOCOL). §9 */
export const TERN_KAD_PROTOCOL = '/tern/kad/1.0.0'
/** Default listen address of a node (a random TCP port on every interface). */
export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/0']
/** Inbound connections per second from one IP before libp2p resets them (loopback tests have every peer on 127.0.0.1). */
export const LOOPBACK_INBOUND_THRESHOLD = 1000
/** ms to wait for the first relay reservation in createNodeHost's `waitForReservation` helper. */
export const RESERVATION_WAIT_MS = 10_000

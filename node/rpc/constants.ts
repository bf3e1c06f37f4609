/**
 * Limits and names of the node's JSON-RPC API (docs/API.md). Every limit binds while reading, never after buffering.
 */

/** JSON-RPC protocol version string carried by every message. docs/API.md §Framing */
export const JSONRPC_VERSION = '2.0'

/** File name of the Unix socket inside the node's home directory. docs/API.md §Transport */
export const SOCKET_FILE = 'rpc.sock'

/** Permission bits of the Unix socket: owner read/write only (octal mode). docs/API.md §Transport */
export const SOCKET_MODE = 0o600

/** Longest accepted line, newline excluded (bytes, 1 MiB); a longer line gets an error and the connection closes. §Framing */
export const MAX_LINE_BYTES = 1024 * 1024

/** Most requests in one JSON-RPC batch (entries). docs/API.md §Batches */
export const MAX_BATCH_ENTRIES = 64

/** Requests of one connection being handled at once before the server stops reading from it (requests). §Flow control */
export const MAX_INFLIGHT_PER_CONNECTION = 32

/** Queued outbound bytes above which the server stops reading requests and pauses event delivery (bytes). §Flow control */
export const OUTBOUND_HIGH_WATER_BYTES = 256 * 1024

/** Queued outbound bytes above which a connection is closed as a client that does not read (bytes, 8 MiB). §Flow control */
export const MAX_OUTBOUND_BYTES = 8 * 1024 * 1024

/** How long a subscriber may leave its outbound queue full before it is disconnected (milliseconds). §Events */
export const SLOW_CONSUMER_TIMEOUT_MS = 30_000

/** Events read from the EventSource per replay page (events). docs/API.md §Events */
export const REPLAY_PAGE_EVENTS = 256

/** Live events held while a subscription replays; beyond this they are dropped and re-read from the log (events). §Events */
export const MAX_LIVE_QUEUE_EVENTS = 1024

/** How long an unauthenticated TCP connection may stay open (milliseconds). docs/API.md §Authentication */
export const AUTH_TIMEOUT_MS = 10_000

/** Failed calls allowed on an unauthenticated TCP connection before it is closed (calls). §Authentication */
export const MAX_UNAUTHENTICATED_CALLS = 8

/** Shortest accepted TCP auth token (characters). docs/API.md §Authentication */
export const MIN_TOKEN_LENGTH = 16

/** How long the server keeps draining a rejected connection before destroying it (milliseconds). §Framing */
export const REJECT_LINGER_MS = 2_000

/** How long a start-up probe waits for a live daemon to accept on an existing socket (milliseconds). §Transport */
export const STALE_PROBE_TIMEOUT_MS = 1_000

/** Longest Unix socket path Linux accepts in sockaddr_un, terminator excluded (bytes). */
export const MAX_SOCKET_PATH_BYTES = 107

/** Default client call timeout (milliseconds). */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000

/** Client reconnect back-off: first and largest delay (milliseconds). */
export const RECONNECT_MIN_DELAY_MS = 100
export const RECONNECT_MAX_DELAY_MS = 5_000

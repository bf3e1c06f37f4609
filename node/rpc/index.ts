/**
 * The node's JSON-RPC API (docs/API.md): framing, the method table and its schemas, dispatch, the server (Unix socket
 * and token-guarded TCP), event subscriptions over a durable log, and the client library.
 *
 * A node wires it as:
 *   const dispatcher = new Dispatcher({ isLocked: () => store.locked })
 *   dispatcher.register('contacts.list', async () => ({ contacts: await contacts.list() }))
 *   const server = createRpcServer({ dispatcher, events: eventLog, home })
 *   await server.start()
 */
export * from './constants.js'
export * from './errors.js'
export { LineDecoder, encodeLine, type DecodeResult } from './framing.js'
export * from './schema.js'
export * from './methods.js'
export { Dispatcher, type CallContext, type DispatcherInit, type DispatchOutcome, type Handler, type JsonRpcId, type JsonRpcResponse, type RpcConnection, type TransportKind } from './dispatch.js'
export { MemoryEventSource, Subscription, type EventSink, type EventSource, type StoredEvent, type SubscriptionInit } from './events.js'
export { createRpcServer, isLoopbackHost, tokensEqual, DEFAULT_LIMITS, type RpcLimits, type RpcServer, type RpcServerInit, type TcpListenInit } from './server.js'
export { RpcClient, connect, type CallOptions, type ConnectOptions, type ConnectTarget, type RpcEvent } from './client.js'

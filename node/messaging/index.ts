/**
 * /tern/msg/1.0.0 (PROTOCOL.md §12): direct and relayed delivery of envelopes with acks after processing.
 * `messaging(init)` is the libp2p service factory for `services.messaging`.
 */
import { MessagingService, type MessagingComponents, type MessagingInit } from './messaging.js'

export * from './constants.js'
export * from './errors.js'
export { encodeAck, decodeAck, encodeFrame, encodeLength, maxPrefixBytes, FrameDecoder } from './frames.js'
export { FrameReader, writeFrame, type FrameReaderInit, type NextOptions } from './reader.js'
export { MessagingService, isRelayed, type InboundFrame, type InboundHandler, type MessagingInit, type MessagingComponents } from './messaging.js'

export function messaging (init: MessagingInit = {}): (components: MessagingComponents) => MessagingService {
  return (components) => new MessagingService(components, init)
}

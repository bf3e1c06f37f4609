/**
 * Frame codecs of /tern/msg/1.0.0 (PROTOCOL.md §12.2). Pure.
 * - Framing: varint length ‖ body, decoded by protocol/framing with every limit held while decoding (§12.4);
 *   errors are MsgProtocolError with the decoder's reason.
 * - Envelope frames carry the envelope bytes as they are (the envelope is versioned by its own first byte); an ack
 *   is two bytes: ACK_VERSION, status.
 */
import { FrameDecoder as SharedFrameDecoder, encodeFrame, encodeLength, maxPrefixBytes } from '../../protocol/framing/index.js'
import { ACK_BYTES, ACK_VERSION, AckStatus, MAX_FRAME_BYTES, type AckStatusCode } from './constants.js'
import { MsgProtocolError } from './errors.js'

export { encodeFrame, encodeLength, maxPrefixBytes }

/** The shared decoder (protocol/framing), with this protocol's limit and error. */
export class FrameDecoder extends SharedFrameDecoder {
  constructor (maxFrameBytes = MAX_FRAME_BYTES) {
    super(maxFrameBytes, (message, reason) => new MsgProtocolError(message, reason))
  }
}

export function encodeAck (status: AckStatusCode): Uint8Array {
  return Uint8Array.of(ACK_VERSION, status)
}

/** Rejects in order: wrong length → unknown version → unknown status. */
export function decodeAck (bytes: Uint8Array): AckStatusCode {
  if (bytes.length !== ACK_BYTES) throw new MsgProtocolError(`ack: expected ${ACK_BYTES} bytes, got ${bytes.length}`)
  if (bytes[0] !== ACK_VERSION) throw new MsgProtocolError(`ack: unknown version ${bytes[0]}`)
  const s = bytes[1]
  if (s !== AckStatus.OK && s !== AckStatus.RETRY && s !== AckStatus.REJECTED) throw new MsgProtocolError(`ack: unknown status ${s}`)
  return s as AckStatusCode
}

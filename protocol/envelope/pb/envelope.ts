import { decodeMessage, encodeMessage, message, streamMessage } from 'protons-runtime'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface RatchetMessage {
  header?: Uint8Array<ArrayBuffer>
  body?: Uint8Array<ArrayBuffer>
}

export namespace RatchetMessage {
  let _codec: Codec<RatchetMessage, Partial<RatchetMessage>>

  export const codec = (): Codec<RatchetMessage, Partial<RatchetMessage>> => {
    if (_codec == null) {
      _codec = message<RatchetMessage, Partial<RatchetMessage>>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.header != null) {
          w.uint32(10)
          w.bytes(obj.header)
        }

        if (obj.body != null) {
          w.uint32(18)
          w.bytes(obj.body)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {}

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.header = reader.bytes()
              break
            }
            case 2: {
              obj.body = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.header`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.body`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface RatchetMessageHeaderFieldEvent {
    field: '$.header'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RatchetMessageBodyFieldEvent {
    field: '$.body'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<RatchetMessage>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RatchetMessage.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RatchetMessage>): RatchetMessage {
    return decodeMessage(buf, RatchetMessage.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RatchetMessage>): Generator<RatchetMessageHeaderFieldEvent | RatchetMessageBodyFieldEvent> {
    return streamMessage(buf, RatchetMessage.codec(), opts)
  }
}

export interface Envelope {
  message?: RatchetMessage
  contactRequest?: Uint8Array<ArrayBuffer>
  contactAccept?: Uint8Array<ArrayBuffer>
  contactReject?: Uint8Array<ArrayBuffer>
}

export namespace Envelope {
  let _codec: Codec<Envelope, Partial<Envelope>>

  export const codec = (): Codec<Envelope, Partial<Envelope>> => {
    if (_codec == null) {
      _codec = message<Envelope, Partial<Envelope>>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.message != null) {
          w.uint32(10)
          RatchetMessage.codec().encode(obj.message, w)
        }

        if (obj.contactRequest != null) {
          w.uint32(18)
          w.bytes(obj.contactRequest)
        }

        if (obj.contactAccept != null) {
          w.uint32(26)
          w.bytes(obj.contactAccept)
        }

        if (obj.contactReject != null) {
          w.uint32(34)
          w.bytes(obj.contactReject)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {}

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.message = RatchetMessage.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.message
              })
              break
            }
            case 2: {
              obj.contactRequest = reader.bytes()
              break
            }
            case 3: {
              obj.contactAccept = reader.bytes()
              break
            }
            case 4: {
              obj.contactReject = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * RatchetMessage.codec().stream(reader, reader.uint32(), `${prefix}.message`, {
                limits: opts.limits?.message
              })

              break
            }
            case 2: {
              yield {
                field: `${prefix}.contactRequest`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.contactAccept`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.contactReject`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface EnvelopeMessageHeaderFieldEvent {
    field: '$.message.header'
    value: Uint8Array<ArrayBuffer>
  }

  export interface EnvelopeMessageBodyFieldEvent {
    field: '$.message.body'
    value: Uint8Array<ArrayBuffer>
  }

  export interface EnvelopeContactRequestFieldEvent {
    field: '$.contactRequest'
    value: Uint8Array<ArrayBuffer>
  }

  export interface EnvelopeContactAcceptFieldEvent {
    field: '$.contactAccept'
    value: Uint8Array<ArrayBuffer>
  }

  export interface EnvelopeContactRejectFieldEvent {
    field: '$.contactReject'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Envelope>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Envelope.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Envelope>): Envelope {
    return decodeMessage(buf, Envelope.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Envelope>): Generator<EnvelopeMessageHeaderFieldEvent | EnvelopeMessageBodyFieldEvent | EnvelopeContactRequestFieldEvent | EnvelopeContactAcceptFieldEvent | EnvelopeContactRejectFieldEvent> {
    return streamMessage(buf, Envelope.codec(), opts)
  }
}

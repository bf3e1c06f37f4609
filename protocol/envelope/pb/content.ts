import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface Text {
  id?: Uint8Array<ArrayBuffer>
  seq: number
  sentAt: number
  body: string
}

export namespace Text {
  let _codec: Codec<Text, Partial<Text>>

  export const codec = (): Codec<Text, Partial<Text>> => {
    if (_codec == null) {
      _codec = message<Text, Partial<Text>>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.id != null) {
          w.uint32(10)
          w.bytes(obj.id)
        }

        if ((obj.seq != null && obj.seq !== 0)) {
          w.uint32(16)
          w.uint64Number(obj.seq)
        }

        if ((obj.sentAt != null && obj.sentAt !== 0)) {
          w.uint32(24)
          w.uint64Number(obj.sentAt)
        }

        if ((obj.body != null && obj.body !== '')) {
          w.uint32(34)
          w.string(obj.body)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          seq: 0,
          sentAt: 0,
          body: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.id = reader.bytes()
              break
            }
            case 2: {
              obj.seq = reader.uint64Number()
              break
            }
            case 3: {
              obj.sentAt = reader.uint64Number()
              break
            }
            case 4: {
              obj.body = reader.string()
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
                field: `${prefix}.id`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint64Number()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.sentAt`,
                value: reader.uint64Number()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.body`,
                value: reader.string()
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

  export interface TextIdFieldEvent {
    field: '$.id'
    value: Uint8Array<ArrayBuffer>
  }

  export interface TextSeqFieldEvent {
    field: '$.seq'
    value: number
  }

  export interface TextSentAtFieldEvent {
    field: '$.sentAt'
    value: number
  }

  export interface TextBodyFieldEvent {
    field: '$.body'
    value: string
  }

  export function encode (obj: Partial<Text>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Text.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Text>): Text {
    return decodeMessage(buf, Text.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Text>): Generator<TextIdFieldEvent | TextSeqFieldEvent | TextSentAtFieldEvent | TextBodyFieldEvent> {
    return streamMessage(buf, Text.codec(), opts)
  }
}

export interface Receipt {
  kind: Receipt.Kind
  ids: Uint8Array<ArrayBuffer>[]
  seqs: number[]
}

export namespace Receipt {
  export enum Kind {
    KIND_UNSPECIFIED = 'KIND_UNSPECIFIED',
    DELIVERED = 'DELIVERED',
    READ = 'READ'
  }

  enum __KindValues {
    KIND_UNSPECIFIED = 0,
    DELIVERED = 1,
    READ = 2
  }

  export namespace Kind {
    export const codec = (): Codec<Kind, Kind> => {
      return enumeration<Kind>(__KindValues)
    }
  }

  let _codec: Codec<Receipt, Partial<Receipt>>

  export const codec = (): Codec<Receipt, Partial<Receipt>> => {
    if (_codec == null) {
      _codec = message<Receipt, Partial<Receipt>>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.kind != null && __KindValues[obj.kind] !== 0) {
          w.uint32(8)
          Receipt.Kind.codec().encode(obj.kind, w)
        }

        if (obj.ids != null && obj.ids.length > 0) {
          for (const value of obj.ids) {
            w.uint32(18)
            w.bytes(value)
          }
        }

        if (obj.seqs != null && obj.seqs.length > 0) {
          for (const value of obj.seqs) {
            w.uint32(24)
            w.uint64Number(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          kind: Kind.KIND_UNSPECIFIED,
          ids: [],
          seqs: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.kind = Receipt.Kind.codec().decode(reader)
              break
            }
            case 2: {
              if (opts.limits?.ids != null && obj.ids.length === opts.limits.ids) {
                throw new MaxLengthError('Decode error - repeated field "ids" had too many elements')
              }

              obj.ids.push(reader.bytes())
              break
            }
            case 3: {
              if (opts.limits?.seqs != null && obj.seqs.length === opts.limits.seqs) {
                throw new MaxLengthError('Decode error - repeated field "seqs" had too many elements')
              }

              obj.seqs.push(reader.uint64Number())
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
        const obj = {
          ids: 0,
          seqs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.kind`,
                value: Receipt.Kind.codec().decode(reader)
              }
              break
            }
            case 2: {
              if (opts.limits?.ids != null && obj.ids === opts.limits.ids) {
                throw new MaxLengthError('Streaming decode error - repeated field "ids" had too many elements')
              }

              yield {
                field: `${prefix}.ids[]`,
                index: obj.ids,
                value: reader.bytes()
              }

              obj.ids++

              break
            }
            case 3: {
              if (opts.limits?.seqs != null && obj.seqs === opts.limits.seqs) {
                throw new MaxLengthError('Streaming decode error - repeated field "seqs" had too many elements')
              }

              yield {
                field: `${prefix}.seqs[]`,
                index: obj.seqs,
                value: reader.uint64Number()
              }

              obj.seqs++

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

  export interface ReceiptKindFieldEvent {
    field: '$.kind'
    value: Receipt.Kind
  }

  export interface ReceiptIdsFieldEvent {
    field: '$.ids[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReceiptSeqsFieldEvent {
    field: '$.seqs[]'
    index: number
    value: number
  }

  export function encode (obj: Partial<Receipt>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Receipt.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Receipt>): Receipt {
    return decodeMessage(buf, Receipt.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Receipt>): Generator<ReceiptKindFieldEvent | ReceiptIdsFieldEvent | ReceiptSeqsFieldEvent> {
    return streamMessage(buf, Receipt.codec(), opts)
  }
}

export interface MailboxCapability {
  relayAddrs: Uint8Array<ArrayBuffer>[]
  queueId?: Uint8Array<ArrayBuffer>
  token?: Uint8Array<ArrayBuffer>
}

export namespace MailboxCapability {
  let _codec: Codec<MailboxCapability, Partial<MailboxCapability>>

  export const codec = (): Codec<MailboxCapability, Partial<MailboxCapability>> => {
    if (_codec == null) {
      _codec = message<MailboxCapability, Partial<MailboxCapability>>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.relayAddrs != null && obj.relayAddrs.length > 0) {
          for (const value of obj.relayAddrs) {
            w.uint32(10)
            w.bytes(value)
          }
        }

        if (obj.queueId != null) {
          w.uint32(18)
          w.bytes(obj.queueId)
        }

        if (obj.token != null) {
          w.uint32(26)
          w.bytes(obj.token)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          relayAddrs: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.relayAddrs != null && obj.relayAddrs.length === opts.limits.relayAddrs) {
                throw new MaxLengthError('Decode error - repeated field "relayAddrs" had too many elements')
              }

              obj.relayAddrs.push(reader.bytes())
              break
            }
            case 2: {
              obj.queueId = reader.bytes()
              break
            }
            case 3: {
              obj.token = reader.bytes()
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
        const obj = {
          relayAddrs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.relayAddrs != null && obj.relayAddrs === opts.limits.relayAddrs) {
                throw new MaxLengthError('Streaming decode error - repeated field "relayAddrs" had too many elements')
              }

              yield {
                field: `${prefix}.relayAddrs[]`,
                index: obj.relayAddrs,
                value: reader.bytes()
              }

              obj.relayAddrs++

              break
            }
            case 2: {
              yield {
                field: `${prefix}.queueId`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.token`,
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

  export interface MailboxCapabilityRelayAddrsFieldEvent {
    field: '$.relayAddrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface MailboxCapabilityQueueIdFieldEvent {
    field: '$.queueId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface MailboxCapabilityTokenFieldEvent {
    field: '$.token'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<MailboxCapability>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, MailboxCapability.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MailboxCapability>): MailboxCapability {
    return decodeMessage(buf, MailboxCapability.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MailboxCapability>): Generator<MailboxCapabilityRelayAddrsFieldEvent | MailboxCapabilityQueueIdFieldEvent | MailboxCapabilityTokenFieldEvent> {
    return streamMessage(buf, MailboxCapability.codec(), opts)
  }
}

export interface ContactInfo {
  name: string
  mailbox?: MailboxCapability
  addresses: Uint8Array<ArrayBuffer>[]
}

export namespace ContactInfo {
  let _codec: Codec<ContactInfo, Partial<ContactInfo>>

  export const codec = (): Codec<ContactInfo, Partial<ContactInfo>> => {
    if (_codec == null) {
      _codec = message<ContactInfo, Partial<ContactInfo>>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if (obj.mailbox != null) {
          w.uint32(18)
          MailboxCapability.codec().encode(obj.mailbox, w)
        }

        if (obj.addresses != null && obj.addresses.length > 0) {
          for (const value of obj.addresses) {
            w.uint32(26)
            w.bytes(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
          addresses: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.name = reader.string()
              break
            }
            case 2: {
              obj.mailbox = MailboxCapability.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.mailbox
              })
              break
            }
            case 3: {
              if (opts.limits?.addresses != null && obj.addresses.length === opts.limits.addresses) {
                throw new MaxLengthError('Decode error - repeated field "addresses" had too many elements')
              }

              obj.addresses.push(reader.bytes())
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
        const obj = {
          addresses: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield * MailboxCapability.codec().stream(reader, reader.uint32(), `${prefix}.mailbox`, {
                limits: opts.limits?.mailbox
              })

              break
            }
            case 3: {
              if (opts.limits?.addresses != null && obj.addresses === opts.limits.addresses) {
                throw new MaxLengthError('Streaming decode error - repeated field "addresses" had too many elements')
              }

              yield {
                field: `${prefix}.addresses[]`,
                index: obj.addresses,
                value: reader.bytes()
              }

              obj.addresses++

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

  export interface ContactInfoNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface ContactInfoMailboxRelayAddrsFieldEvent {
    field: '$.mailbox.relayAddrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface ContactInfoMailboxQueueIdFieldEvent {
    field: '$.mailbox.queueId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ContactInfoMailboxTokenFieldEvent {
    field: '$.mailbox.token'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ContactInfoAddressesFieldEvent {
    field: '$.addresses[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<ContactInfo>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ContactInfo.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ContactInfo>): ContactInfo {
    return decodeMessage(buf, ContactInfo.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ContactInfo>): Generator<ContactInfoNameFieldEvent | ContactInfoMailboxRelayAddrsFieldEvent | ContactInfoMailboxQueueIdFieldEvent | ContactInfoMailboxTokenFieldEvent | ContactInfoAddressesFieldEvent> {
    return streamMessage(buf, ContactInfo.codec(), opts)
  }
}

export interface Content {
  text?: Text
  receipt?: Receipt
  contactInfo?: ContactInfo
}

export namespace Content {
  let _codec: Codec<Content, Partial<Content>>

  export const codec = (): Codec<Content, Partial<Content>> => {
    if (_codec == null) {
      _codec = message<Content, Partial<Content>>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.text != null) {
          w.uint32(10)
          Text.codec().encode(obj.text, w)
        }

        if (obj.receipt != null) {
          w.uint32(18)
          Receipt.codec().encode(obj.receipt, w)
        }

        if (obj.contactInfo != null) {
          w.uint32(26)
          ContactInfo.codec().encode(obj.contactInfo, w)
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
              obj.text = Text.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.text
              })
              break
            }
            case 2: {
              obj.receipt = Receipt.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.receipt
              })
              break
            }
            case 3: {
              obj.contactInfo = ContactInfo.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.contactInfo
              })
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
              yield * Text.codec().stream(reader, reader.uint32(), `${prefix}.text`, {
                limits: opts.limits?.text
              })

              break
            }
            case 2: {
              yield * Receipt.codec().stream(reader, reader.uint32(), `${prefix}.receipt`, {
                limits: opts.limits?.receipt
              })

              break
            }
            case 3: {
              yield * ContactInfo.codec().stream(reader, reader.uint32(), `${prefix}.contactInfo`, {
                limits: opts.limits?.contactInfo
              })

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

  export interface ContentTextIdFieldEvent {
    field: '$.text.id'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ContentTextSeqFieldEvent {
    field: '$.text.seq'
    value: number
  }

  export interface ContentTextSentAtFieldEvent {
    field: '$.text.sentAt'
    value: number
  }

  export interface ContentTextBodyFieldEvent {
    field: '$.text.body'
    value: string
  }

  export interface ContentReceiptKindFieldEvent {
    field: '$.receipt.kind'
    value: Receipt.Kind
  }

  export interface ContentReceiptIdsFieldEvent {
    field: '$.receipt.ids[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface ContentReceiptSeqsFieldEvent {
    field: '$.receipt.seqs[]'
    index: number
    value: number
  }

  export interface ContentContactInfoNameFieldEvent {
    field: '$.contactInfo.name'
    value: string
  }

  export interface ContentContactInfoMailboxRelayAddrsFieldEvent {
    field: '$.contactInfo.mailbox.relayAddrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface ContentContactInfoMailboxQueueIdFieldEvent {
    field: '$.contactInfo.mailbox.queueId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ContentContactInfoMailboxTokenFieldEvent {
    field: '$.contactInfo.mailbox.token'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ContentContactInfoAddressesFieldEvent {
    field: '$.contactInfo.addresses[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Content>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Content.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Content>): Content {
    return decodeMessage(buf, Content.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Content>): Generator<ContentTextIdFieldEvent | ContentTextSeqFieldEvent | ContentTextSentAtFieldEvent | ContentTextBodyFieldEvent | ContentReceiptKindFieldEvent | ContentReceiptIdsFieldEvent | ContentReceiptSeqsFieldEvent | ContentContactInfoNameFieldEvent | ContentContactInfoMailboxRelayAddrsFieldEvent | ContentContactInfoMailboxQueueIdFieldEvent | ContentContactInfoMailboxTokenFieldEvent | ContentContactInfoAddressesFieldEvent> {
    return streamMessage(buf, Content.codec(), opts)
  }
}

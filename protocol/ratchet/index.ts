/**
 * Double Ratchet with header encryption (PROTOCOL.md §6). Public API: initSender / initReceiver (called by the
 * handshake, §5), ratchetEncrypt / ratchetDecrypt over immutable states, and the state's storage codec.
 */
export { initSender, initReceiver, ratchetEncrypt, ratchetDecrypt, skipSending } from './ratchet.js'
export type { RatchetMessage, SenderInit, ReceiverInit } from './ratchet.js'
export type { RatchetState, ReceivingChain } from './state.js'
export { serializeState, deserializeState } from './serialize.js'
export { kdfRoot, kdfChain, messageKeyMaterial, messageKeys } from './kdf.js'
export { encodeHeader, decodeHeader } from './header.js'
export * from './constants.js'
export * from './errors.js'

/** The primitives every other part of protocol/ uses; nothing here knows about Tern's messages. */
export * from './bytes.js'
export * from './random.js'
export * from './kdf.js'
export * from './aead.js'
export * from './x25519.js'
export * from './ed25519.js'
export * from './mlkem.js'

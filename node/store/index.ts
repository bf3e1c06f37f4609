/** The node's encrypted LevelDB store: KV interface + implementations, the encrypted Store, key layout, event log. */
export { Store, openStore, openMemoryStore, STORE_CACHE_BYTES, type StoreOptions, type OpenStoreOptions, type StoreBatch, type StoreEntry, type WriteResult, type WriteOptions } from './db.js'
export { MemoryKV, type KV, type KVOp, type KVRange, type KVWriteOptions } from './kv.js'
export { LevelKV, type LevelKVOptions } from './level-kv.js'
export { EventLog, type TernEvent, type EventListener, DEFAULT_EVENT_PAGE, MAX_EVENT_PAGE } from './events.js'
export * from './keys.js'
export { STORE_VALUE_VERSION, STORE_VALUE_VERSION_V1, VALUE_OVERHEAD, MAX_VALUE_BYTES, STORE_SCHEMA_VERSION } from './schema.js'

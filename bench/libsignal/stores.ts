/**
 * In-memory libsignal stores that behave like database-backed ones: every record is kept SERIALISED as bytes and
 * deserialised on every load, so each encrypt/decrypt pays the same (de)serialisation a real client pays
 * (Signal-Desktop keeps sessions as serialised records in SQLite). Benchmark-only: no locking, no archiving policy.
 */
import {
  IdentityChange,
  IdentityKeyPair,
  IdentityKeyStore,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyRecord,
  PreKeyStore,
  PrivateKey,
  ProtocolAddress,
  PublicKey,
  SessionRecord,
  SessionStore,
  SignedPreKeyRecord,
  SignedPreKeyStore
} from '@signalapp/libsignal-client'
import type { Direction } from '@signalapp/libsignal-client'

type Bytes = Uint8Array<ArrayBuffer>

const key = (a: ProtocolAddress): string => `${a.name()}.${a.deviceId()}`

export class BytesSessionStore extends SessionStore {
  readonly records = new Map<string, Bytes>()

  async saveSession (name: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.records.set(key(name), record.serialize())
  }

  async getSession (name: ProtocolAddress): Promise<SessionRecord | null> {
    const b = this.records.get(key(name))
    return b === undefined ? null : SessionRecord.deserialize(b)
  }

  async getExistingSessions (addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    return addresses.map(a => {
      const b = this.records.get(key(a))
      if (b === undefined) throw new Error(`no session for ${key(a)}`)
      return SessionRecord.deserialize(b)
    })
  }
}

/** Trust on first use, like Signal: a changed identity key is reported untrusted. */
export class BytesIdentityKeyStore extends IdentityKeyStore {
  readonly identities = new Map<string, Bytes>()
  constructor (private readonly identity: IdentityKeyPair, private readonly registrationId: number) { super() }

  async getIdentityKey (): Promise<PrivateKey> { return this.identity.privateKey }
  async getLocalRegistrationId (): Promise<number> { return this.registrationId }

  async saveIdentity (name: ProtocolAddress, k: PublicKey): Promise<IdentityChange> {
    const prev = this.identities.get(key(name))
    const next = k.serialize()
    this.identities.set(key(name), next)
    return prev !== undefined && !Buffer.from(prev).equals(next) ? IdentityChange.ReplacedExisting : IdentityChange.NewOrUnchanged
  }

  async isTrustedIdentity (name: ProtocolAddress, k: PublicKey, _direction: Direction): Promise<boolean> {
    const prev = this.identities.get(key(name))
    return prev === undefined || Buffer.from(prev).equals(k.serialize())
  }

  async getIdentity (name: ProtocolAddress): Promise<PublicKey | null> {
    const b = this.identities.get(key(name))
    return b === undefined ? null : PublicKey.deserialize(b)
  }
}

export class BytesPreKeyStore extends PreKeyStore {
  readonly records = new Map<number, Bytes>()
  async savePreKey (id: number, record: PreKeyRecord): Promise<void> { this.records.set(id, record.serialize()) }
  async getPreKey (id: number): Promise<PreKeyRecord> {
    const b = this.records.get(id)
    if (b === undefined) throw new Error(`no prekey ${id}`)
    return PreKeyRecord.deserialize(b)
  }

  async removePreKey (id: number): Promise<void> { this.records.delete(id) }
}

export class BytesSignedPreKeyStore extends SignedPreKeyStore {
  readonly records = new Map<number, Bytes>()
  async saveSignedPreKey (id: number, record: SignedPreKeyRecord): Promise<void> { this.records.set(id, record.serialize()) }
  async getSignedPreKey (id: number): Promise<SignedPreKeyRecord> {
    const b = this.records.get(id)
    if (b === undefined) throw new Error(`no signed prekey ${id}`)
    return SignedPreKeyRecord.deserialize(b)
  }
}

/** Kyber prekeys: a one-time key is deleted once used (Signal also keeps "last resort" keys, not modelled here). */
export class BytesKyberPreKeyStore extends KyberPreKeyStore {
  readonly records = new Map<number, Bytes>()
  async saveKyberPreKey (id: number, record: KyberPreKeyRecord): Promise<void> { this.records.set(id, record.serialize()) }
  async getKyberPreKey (id: number): Promise<KyberPreKeyRecord> {
    const b = this.records.get(id)
    if (b === undefined) throw new Error(`no kyber prekey ${id}`)
    return KyberPreKeyRecord.deserialize(b)
  }

  async markKyberPreKeyUsed (id: number, _signedPreKeyId: number, _baseKey: PublicKey): Promise<void> {
    this.records.delete(id)
  }
}

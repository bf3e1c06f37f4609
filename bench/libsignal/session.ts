/**
 * The reference side of the protocol bench: @signalapp/libsignal-client (PQXDH with a Kyber-1024 prekey, Double
 * Ratchet + SPQR as 0.103 does), driven through bench/harness.ts with the serialising stores of ./stores.ts.
 * Session setup = processPreKeyBundle at Alice + her first (PreKey) message + its signalDecryptPreKey at Bob: the
 * point from which both sides hold a session. Wire bytes = one type byte || CiphertextMessage.serialize().
 */
import {
  CiphertextMessageType,
  IdentityKeyPair,
  KEMKeyPair,
  KyberPreKeyRecord,
  PreKeyBundle,
  PreKeyRecord,
  PreKeySignalMessage,
  PrivateKey,
  ProtocolAddress,
  SignalMessage,
  SignedPreKeyRecord,
  processPreKeyBundle,
  signalDecrypt,
  signalDecryptPreKey,
  signalEncrypt
} from '@signalapp/libsignal-client'
import { randomInt } from 'node:crypto'
import type { Implementation, SessionHarness, Side } from '../harness.js'
import {
  BytesIdentityKeyStore,
  BytesKyberPreKeyStore,
  BytesPreKeyStore,
  BytesSessionStore,
  BytesSignedPreKeyStore
} from './stores.js'

type Bytes = Uint8Array<ArrayBuffer>

interface Party {
  address: ProtocolAddress
  identity: BytesIdentityKeyStore
  sessions: BytesSessionStore
  preKeys: BytesPreKeyStore
  signedPreKeys: BytesSignedPreKeyStore
  kyberPreKeys: BytesKyberPreKeyStore
}

export interface LibsignalPrep { parties: [Party, Party], bundle: PreKeyBundle }
export type LibsignalPair = [Party, Party]

const ALICE = ProtocolAddress.new('alice', 1)
const BOB = ProtocolAddress.new('bob', 1)

function party (address: ProtocolAddress): Party {
  return {
    address,
    identity: new BytesIdentityKeyStore(IdentityKeyPair.generate(), randomInt(1, 16380)),
    sessions: new BytesSessionStore(),
    preKeys: new BytesPreKeyStore(),
    signedPreKeys: new BytesSignedPreKeyStore(),
    kyberPreKeys: new BytesKyberPreKeyStore()
  }
}

/** Copies into a buffer that owns its ArrayBuffer (libsignal's typings want Uint8Array<ArrayBuffer>). */
const own = (b: Uint8Array): Bytes => new Uint8Array(b)

export function libsignalHarness (opts: { firstMessage: Uint8Array }): SessionHarness<LibsignalPrep, LibsignalPair> {
  const first = own(opts.firstMessage)
  return {
    name: 'libsignal',

    async prepare () {
      const alice = party(ALICE)
      const bob = party(BOB)
      const bobId = await bob.identity.getIdentityKeyPair()
      const now = Date.now()
      const preKey = PrivateKey.generate()
      await bob.preKeys.savePreKey(1, PreKeyRecord.new(1, preKey.getPublicKey(), preKey))
      const spk = PrivateKey.generate()
      const spkSig = bobId.privateKey.sign(spk.getPublicKey().serialize())
      await bob.signedPreKeys.saveSignedPreKey(2, SignedPreKeyRecord.new(2, now, spk.getPublicKey(), spk, spkSig))
      const kyber = KEMKeyPair.generate()
      const kyberSig = bobId.privateKey.sign(kyber.getPublicKey().serialize())
      await bob.kyberPreKeys.saveKyberPreKey(3, KyberPreKeyRecord.new(3, now, kyber, kyberSig))
      const bundle = PreKeyBundle.new(await bob.identity.getLocalRegistrationId(), BOB.deviceId(), 1, preKey.getPublicKey(),
        2, spk.getPublicKey(), spkSig, bobId.publicKey, 3, kyber.getPublicKey(), kyberSig)
      return { parties: [alice, bob], bundle }
    },

    async setup ({ parties, bundle }) {
      const [alice, bob] = parties
      await processPreKeyBundle(bundle, BOB, ALICE, alice.sessions, alice.identity)
      const ct = await signalEncrypt(first, BOB, ALICE, alice.sessions, alice.identity)
      if (ct.type() !== CiphertextMessageType.PreKey) throw new Error('libsignal: first message is not a PreKey message')
      const got = await signalDecryptPreKey(PreKeySignalMessage.deserialize(ct.serialize()), ALICE, BOB, bob.sessions,
        bob.identity, bob.preKeys, bob.signedPreKeys, bob.kyberPreKeys)
      if (!Buffer.from(got).equals(first)) throw new Error('libsignal: first message mismatch')
      return parties
    },

    async send (pair, from: Side, plaintext) {
      const me = pair[from]
      const peer = pair[from === 0 ? 1 : 0]
      const ct = await signalEncrypt(own(plaintext), peer.address, me.address, me.sessions, me.identity)
      const body = ct.serialize()
      const wire = new Uint8Array(1 + body.length)
      wire[0] = ct.type()
      wire.set(body, 1)
      return wire
    },

    async receive (pair, to: Side, wire) {
      const me = pair[to]
      const peer = pair[to === 0 ? 1 : 0]
      const body = own(wire.subarray(1))
      if (wire[0] === CiphertextMessageType.Whisper) {
        return await signalDecrypt(SignalMessage.deserialize(body), peer.address, me.address, me.sessions, me.identity)
      }
      if (wire[0] === CiphertextMessageType.PreKey) {
        return await signalDecryptPreKey(PreKeySignalMessage.deserialize(body), peer.address, me.address, me.sessions,
          me.identity, me.preKeys, me.signedPreKeys, me.kyberPreKeys)
      }
      throw new Error(`libsignal: unexpected message type ${wire[0]}`)
    }
  }
}

export function libsignalImplementation (firstMessage: Uint8Array): Implementation {
  return {
    harness: libsignalHarness({ firstMessage }),
    messageNote: 'message path = signalEncrypt/signalDecrypt (Double Ratchet + SPQR) with serialising stores; no padding (Signal pads in the app)',
    setupNote: 'processPreKeyBundle (one-time EC + Kyber-1024 prekeys) + first PreKey message encrypted and decrypted'
  }
}

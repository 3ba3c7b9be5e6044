import { decodeBase64, encodeBase64 } from './base64.js'
import { bech32Decode, bech32Encode } from './bech32.js'
import { headerError } from './errors.js'
import type { Stanza } from './header.js'
import { hkdf, openInto, random, sealInto, x25519, x25519Base } from './primitives.js'

const LABEL = 'age-encryption.org/v1/X25519'
const ZERO_NONCE = Buffer.alloc(12)
export const FILE_KEY_BYTES = 16

/** An X25519 identity: the secret scalar, and its public key (the recipient). */
export interface X25519Identity {
  secret: Uint8Array
  publicKey: Uint8Array
}

export function identityFromSecret(secret: Uint8Array): X25519Identity {
  if (secret.length !== 32) throw new Error('An X25519 secret is 32 bytes')
  return { secret, publicKey: x25519Base(secret) }
}

export function formatIdentity(secret: Uint8Array): string {
  return bech32Encode('AGE-SECRET-KEY-', secret, true)
}

export function formatRecipient(publicKey: Uint8Array): string {
  return bech32Encode('age', publicKey)
}

/** The secret of an "AGE-SECRET-KEY-1…" string; throws with the reason. */
export function parseIdentity(text: string): Uint8Array {
  const { hrp, data } = bech32Decode(text.trim())
  if (hrp !== 'age-secret-key-')
    throw new Error('not an age secret key (it must start with AGE-SECRET-KEY-1)')
  if (data.length !== 32) throw new Error('an age secret key holds 32 bytes')
  return data
}

/** The public key of an "age1…" recipient; throws with the reason. */
export function parseRecipient(text: string): Uint8Array {
  const { hrp, data } = bech32Decode(text.trim())
  if (hrp !== 'age') throw new Error('not an age recipient (it must start with age1)')
  if (data.length !== 32) throw new Error('an age X25519 recipient holds 32 bytes')
  return data
}

/** Wrap the file key to a recipient: an ephemeral key agreement, HKDF, ChaCha20-Poly1305. */
export function wrapFileKey(recipient: Uint8Array, fileKey: Uint8Array): Stanza {
  const ephemeral = random(32)
  const share = x25519Base(ephemeral)
  const shared = x25519(ephemeral, recipient)
  if (!shared) throw new Error('invalid recipient: a low-order point')
  const wrapKey = hkdf(shared, Buffer.concat([share, recipient]), LABEL)
  const body = Buffer.alloc(FILE_KEY_BYTES + 16)
  sealInto(body, wrapKey, ZERO_NONCE, fileKey)
  return { type: 'X25519', args: [encodeBase64(share)], body }
}

/** Check an X25519 stanza's shape; a malformed one makes the whole header invalid. */
export function checkX25519Stanza(stanza: Stanza): Buffer {
  if (stanza.args.length !== 1) throw headerError('an X25519 stanza has exactly one argument')
  const share = decodeBase64(stanza.args[0] as string)
  if (share.length !== 32) throw headerError('an X25519 share is 32 bytes')
  if (stanza.body.length !== FILE_KEY_BYTES + 16)
    throw headerError('an X25519 stanza body is 32 bytes')
  return share
}

/** The file key, or null when this stanza was not made for `identity`. */
export function unwrapFileKey(stanza: Stanza, identity: X25519Identity): Buffer | null {
  const share = checkX25519Stanza(stanza)
  const shared = x25519(identity.secret, share)
  if (!shared) throw headerError('the X25519 share is a low-order point')
  const wrapKey = hkdf(shared, Buffer.concat([share, identity.publicKey]), LABEL)
  const fileKey = Buffer.alloc(FILE_KEY_BYTES)
  return openInto(fileKey, wrapKey, ZERO_NONCE, stanza.body) ? fileKey : null
}

/**
 * The small symmetric layer of the vault protocol, used alike by client and
 * server: keys derived with HKDF-SHA256 from OPAQUE's outputs, and sealed
 * boxes (random 12-byte nonce ‖ ChaCha20-Poly1305, bound to a context
 * string as associated data) from the same primitives as Cairn's age code.
 */
import { randomBytes } from 'node:crypto'
import sodium from 'sodium-native'
import { hkdf } from '../main/backup/age/primitives.js'

const NONCE_BYTES = 12
const TAG_BYTES = 16

export function deriveKey(ikm: Uint8Array, salt: string, label: string): Buffer {
  return hkdf(ikm, Buffer.from(salt, 'utf8'), label)
}

export function sealBox(key: Uint8Array, plaintext: Uint8Array, context: string): Buffer {
  const nonce = randomBytes(NONCE_BYTES)
  const out = Buffer.alloc(NONCE_BYTES + plaintext.length + TAG_BYTES)
  nonce.copy(out)
  sodium.crypto_aead_chacha20poly1305_ietf_encrypt(
    out.subarray(NONCE_BYTES),
    plaintext,
    Buffer.from(context),
    null,
    nonce,
    key,
  )
  return out
}

/** The plaintext, or null when the box was not sealed with this key and context (or was altered). */
export function openBox(key: Uint8Array, box: Uint8Array, context: string): Buffer | null {
  if (box.length < NONCE_BYTES + TAG_BYTES) return null
  const out = Buffer.alloc(box.length - NONCE_BYTES - TAG_BYTES)
  try {
    sodium.crypto_aead_chacha20poly1305_ietf_decrypt(
      out,
      null,
      box.subarray(NONCE_BYTES),
      Buffer.from(context),
      box.subarray(0, NONCE_BYTES),
      key,
    )
    return out
  } catch {
    return null
  }
}

/** OPAQUE's keys come base64url-encoded. */
export function fromBase64Url(text: string): Buffer {
  return Buffer.from(text, 'base64url')
}

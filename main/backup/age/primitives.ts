import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'
import { sodium } from './sodium.js'

/**
 * The primitives age is made of. ChaCha20-Poly1305 and X25519 come from
 * libsodium (sodium-native): Electron's BoringSSL-based node:crypto has no
 * chacha20-poly1305, and one code path must serve Node and Electron alike.
 * HKDF and HMAC (SHA-256) are in every node:crypto.
 */
export const TAG_BYTES = 16

export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string, length = 32): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, length))
}

export function hmac(key: Uint8Array, data: Uint8Array): Buffer {
  return createHmac('sha256', key).update(data).digest()
}

export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}

export function random(length: number): Buffer {
  return randomBytes(length)
}

/** Encrypt `plaintext` into `out` (plaintext length + 16 bytes). */
export function sealInto(
  out: Uint8Array,
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
): void {
  sodium.crypto_aead_chacha20poly1305_ietf_encrypt(out, plaintext, null, null, nonce, key)
}

/** Decrypt into `out`; false when the tag does not verify (nothing is written then). */
export function openInto(
  out: Uint8Array,
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
): boolean {
  if (ciphertext.length < TAG_BYTES) return false
  try {
    sodium.crypto_aead_chacha20poly1305_ietf_decrypt(out, null, ciphertext, null, nonce, key)
    return true
  } catch {
    return false
  }
}

export function x25519Base(secret: Uint8Array): Buffer {
  const out = Buffer.alloc(32)
  sodium.crypto_scalarmult_base(out, secret)
  return out
}

/** X25519; null when the result is all zeros (a low-order point), which age forbids. */
export function x25519(secret: Uint8Array, point: Uint8Array): Buffer | null {
  const out = Buffer.alloc(32)
  try {
    sodium.crypto_scalarmult(out, secret, point)
  } catch {
    return null
  }
  return out.every((b) => b === 0) ? null : out
}

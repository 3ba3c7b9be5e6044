import { headerError } from './errors.js'

const ALPHABET = /^[A-Za-z0-9+/]*$/

/** Standard base64 without padding, as age writes it. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('base64')
    .replace(/=+$/, '')
}

/**
 * Decode age's unpadded base64, refusing anything but the canonical
 * encoding: padding, other alphabets, an impossible length, or non-zero
 * unused bits in the last character (two encodings of the same bytes would
 * let a file be altered without changing what it decrypts to).
 */
export function decodeBase64(text: string): Buffer {
  if (!ALPHABET.test(text) || text.length % 4 === 1) throw headerError('invalid base64')
  const bytes = Buffer.from(text, 'base64')
  if (encodeBase64(bytes) !== text) throw headerError('non-canonical base64')
  return bytes
}

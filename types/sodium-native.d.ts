// The parts of sodium-native that Cairn uses (the package ships no types).
declare module 'sodium-native' {
  const sodium: {
    crypto_aead_chacha20poly1305_ietf_encrypt(
      c: Uint8Array,
      m: Uint8Array,
      ad: Uint8Array | null,
      nsec: null,
      npub: Uint8Array,
      k: Uint8Array,
    ): number
    crypto_aead_chacha20poly1305_ietf_decrypt(
      m: Uint8Array,
      nsec: null,
      c: Uint8Array,
      ad: Uint8Array | null,
      npub: Uint8Array,
      k: Uint8Array,
    ): number
    crypto_scalarmult_base(q: Uint8Array, n: Uint8Array): void
    crypto_scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): void
    sodium_memzero(buffer: Uint8Array): void
    /** BLAKE2b of `input` into `out` (16–64 bytes), keyed when `key` (16–64 bytes) is given. */
    crypto_generichash(out: Uint8Array, input: Uint8Array, key?: Uint8Array): void
    /** SipHash-2-4 of `input` under `key` (crypto_shorthash_KEYBYTES) into `out` (crypto_shorthash_BYTES). */
    crypto_shorthash(out: Uint8Array, input: Uint8Array, key: Uint8Array): void
    crypto_shorthash_BYTES: number
    crypto_shorthash_KEYBYTES: number
  }
  export default sodium
}

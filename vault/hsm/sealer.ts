/**
 * Sealing at rest: everything sensitive the vault stores (OPAQUE records,
 * wrapped keys, login states, the OPAQUE server setup) is encrypted and
 * authenticated under a key that never leaves the HSM. The context binds a
 * sealed value to its record and purpose, so values cannot be swapped.
 */
export interface Sealer {
  readonly kind: 'pkcs11' | 'software'
  seal(plaintext: Buffer, context: string): Buffer
  /** Throws SealError when the value was altered or sealed for another context. */
  unseal(sealed: Buffer, context: string): Buffer
  close(): void
}

export class SealError extends Error {
  override readonly name = 'SealError'
}

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { SealError, type Sealer } from './sealer.js'

/**
 * DEVELOPMENT ONLY: AES-256-GCM with a key held in the vault process. A copy
 * of the key file and the database together reveal everything; the server
 * warns loudly at start when it uses this.
 */
export function softwareSealer(key: Buffer): Sealer {
  if (key.length !== 32) throw new Error('The development sealing key must be 32 bytes')
  return {
    kind: 'software',
    seal(plaintext, context) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      cipher.setAAD(Buffer.from(context, 'utf8'))
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
      return Buffer.concat([Buffer.from([1]), iv, body, cipher.getAuthTag()])
    },
    unseal(sealed, context) {
      if (sealed.length < 29 || sealed[0] !== 1) throw new SealError('not a sealed value')
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 13))
        decipher.setAAD(Buffer.from(context, 'utf8'))
        decipher.setAuthTag(sealed.subarray(sealed.length - 16))
        return Buffer.concat([
          decipher.update(sealed.subarray(13, sealed.length - 16)),
          decipher.final(),
        ])
      } catch {
        throw new SealError(
          'a sealed value does not authenticate (altered, or sealed for another record)',
        )
      }
    },
    close() {},
  }
}

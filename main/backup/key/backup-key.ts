import { createHash, randomBytes } from 'node:crypto'
import { checkKeyText, KEY_HEX_DIGITS } from '../../../common/backup-key-text.js'
import { CairnError } from '../../shared/errors.js'
import {
  formatIdentity,
  formatRecipient,
  identityFromSecret,
  parseIdentity,
  type X25519Identity,
} from '../age/x25519.js'

/**
 * The backup key: 32 random bytes, used as an X25519 age identity. Backups
 * are encrypted to its public half (the recipient), so writing one needs no
 * secret; the secret is needed to verify contents and to restore.
 */
export interface BackupKey {
  readonly secret: Uint8Array
  readonly identity: X25519Identity
  /** The public recipient, "age1…". */
  readonly recipient: string
  /** A short name for the key ("1a2b-3c4d-5e6f") to tell keys apart; it reveals nothing of the secret. */
  readonly fingerprint: string
}

export { KEY_HEX_DIGITS }

export function generateBackupKey(): BackupKey {
  return backupKeyFromSecret(randomBytes(32))
}

export function backupKeyFromSecret(secret: Uint8Array): BackupKey {
  const identity = identityFromSecret(secret)
  return {
    secret,
    identity,
    recipient: formatRecipient(identity.publicKey),
    fingerprint: fingerprintOf(identity.publicKey),
  }
}

/** First 48 bits of SHA-256 over the public key, in three groups. */
export function fingerprintOf(publicKey: Uint8Array): string {
  const hex = createHash('sha256')
    .update('cairn backup key\0')
    .update(publicKey)
    .digest('hex')
    .slice(0, 12)
  return `${hex.slice(0, 4)}-${hex.slice(4, 8)}-${hex.slice(8, 12)}`
}

/** The key as people see it: 64 hex digits in 16 groups of 4. */
export function formatKeyHex(secret: Uint8Array): string {
  return Buffer.from(secret).toString('hex').match(/.{4}/g)?.join(' ') ?? ''
}

/** The key in age's own format, for `age -d -i key.txt`. */
export function formatKeyAge(secret: Uint8Array): string {
  return formatIdentity(secret)
}

/**
 * Read a key someone typed or pasted: 64 hex digits with any spaces,
 * dashes or line breaks and in either case, or an AGE-SECRET-KEY-1… string.
 * A malformed key gets a message that says what exactly is wrong.
 */
export function parseBackupKey(input: string): BackupKey {
  const checked = checkKeyText(input)
  if (!checked.ok) throw malformed(checked.message)
  if (checked.kind === 'age') {
    try {
      return backupKeyFromSecret(parseIdentity(checked.text))
    } catch (error) {
      throw malformed(`This age secret key is not valid: ${(error as Error).message}.`)
    }
  }
  return backupKeyFromSecret(Buffer.from(checked.hex, 'hex'))
}

function malformed(message: string): CairnError {
  return new CairnError('KEY_MALFORMED', message)
}

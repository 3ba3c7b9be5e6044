/**
 * Typed errors whose message is written for the user: it says what is wrong
 * and, where there is something to do, what to do. The code lets callers
 * (IPC, CLI exit paths, tests) branch without parsing text.
 */
export type ErrorCode =
  // profile
  | 'PROFILE_LOCKED'
  | 'PROFILE_UNAVAILABLE'
  | 'PROFILE_TOO_NEW'
  | 'SETTINGS_INVALID'
  // mail import
  | 'IMPORT_SOURCE_MISSING'
  | 'IMPORT_SOURCE_UNREADABLE'
  | 'IMPORT_NOT_MAIL'
  | 'IMPORT_CANCELLED'
  | 'IMPORT_BUSY'
  | 'MESSAGE_MALFORMED'
  | 'MESSAGE_TOO_LARGE'
  | 'NOT_FOUND'
  // mail accounts, sync and send
  | 'ACCOUNT_NOT_FOUND'
  | 'ACCOUNT_SETTINGS_NOT_FOUND'
  | 'ACCOUNT_AUTH_FAILED'
  | 'ACCOUNT_CERT_UNTRUSTED'
  | 'ACCOUNT_CERT_CHANGED'
  | 'ACCOUNT_PLAINTEXT_REFUSED'
  | 'ACCOUNT_UNREACHABLE'
  | 'ACCOUNT_PROTOCOL'
  | 'OAUTH_FAILED'
  | 'SEND_FAILED'
  // backup keys and custody
  | 'KEY_MALFORMED'
  | 'KEY_MISMATCH'
  | 'KEY_MISSING'
  | 'KEYCHAIN_UNAVAILABLE'
  // backups
  | 'BACKUP_NOT_CONFIGURED'
  | 'BACKUP_BUSY'
  | 'BACKUP_DESTINATION'
  | 'BACKUP_CORRUPT'
  | 'BACKUP_TOO_NEW'
  | 'BACKUP_CHANGED_DURING'
  | 'BACKUP_CANCELLED'
  | 'RESTORE_FAILED'
  // Backup Key Vault
  | 'VAULT_UNREACHABLE'
  | 'VAULT_WRONG_PASSWORD'
  | 'VAULT_KEY_DESTROYED'
  | 'VAULT_RATE_LIMITED'
  | 'VAULT_REJECTED'
  | 'VAULT_TAMPERED'
  // generic
  | 'INVALID_ARGUMENT'
  | 'DISK_FULL'
  | 'INTERNAL'

export class CairnError extends Error {
  override readonly name = 'CairnError'
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** The errno-style code of a Node system error, if it has one. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code
    return typeof code === 'string' ? code : undefined
  }
  return undefined
}

export function isCairnError(error: unknown, code?: ErrorCode): error is CairnError {
  return error instanceof CairnError && (code === undefined || error.code === code)
}

/** A message for any thrown value, for logs and last-resort reporting. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}

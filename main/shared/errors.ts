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
  | 'ACCOUNT_SETTINGS_UNCONFIRMED'
  | 'ACCOUNT_AUTH_FAILED'
  | 'ACCOUNT_CERT_UNTRUSTED'
  | 'ACCOUNT_CERT_CHANGED'
  | 'ACCOUNT_PLAINTEXT_REFUSED'
  | 'ACCOUNT_UNREACHABLE'
  | 'ACCOUNT_PROTOCOL'
  | 'OAUTH_FAILED'
  | 'SEND_FAILED'
  /** The outbox entry asked for is not waiting any more (sent, deleted). */
  | 'OUTBOX_NOT_FOUND'
  /** The outbox entry is being sent right now: it can be neither deleted nor sent again. */
  | 'OUTBOX_BUSY'
  // everyday mail: actions, folders, compose, attachments (issue 11)
  | 'ACTION_NOT_ALLOWED'
  | 'NOTHING_TO_UNDO'
  | 'FOLDER_INVALID'
  | 'FOLDER_EXISTS'
  | 'FOLDER_REFUSED'
  | 'DRAFT_NOT_FOUND'
  | 'NO_SENDING_ACCOUNT'
  | 'ATTACHMENT_TOO_LARGE'
  | 'UPLOAD_INVALID'
  | 'SAVE_FAILED'
  | 'SOURCE_UNAVAILABLE'
  /** A separate window was asked of a host that has none (the browser build shows a panel). */
  | 'WINDOWS_UNAVAILABLE'
  // backup keys and custody
  | 'KEY_MALFORMED'
  | 'KEY_MISMATCH'
  | 'KEY_MISSING'
  | 'KEYCHAIN_UNAVAILABLE'
  | 'BACKUP_KEY_INVALID'
  /** The user did not confirm, in the app's own dialog, that the key may leave main. */
  | 'KEY_NOT_CONFIRMED'
  // backups
  | 'BACKUP_NOT_CONFIGURED'
  | 'BACKUP_BUSY'
  | 'BACKUP_DESTINATION'
  | 'BACKUP_CORRUPT'
  | 'BACKUP_TOO_NEW'
  | 'BACKUP_CHANGED_DURING'
  | 'BACKUP_CANCELLED'
  /** The backup's name or sidecar disagrees with what its encrypted contents say. */
  | 'BACKUP_MISMATCH'
  /** An incremental link read on its own, or a chain with a link missing, damaged or out of order. */
  | 'BACKUP_INCREMENTAL'
  | 'BACKUP_CHAIN_BROKEN'
  | 'RESTORE_FAILED'
  /** The restore would go back in time, take another profile's backup, …: it needs the user's yes. */
  | 'RESTORE_NEEDS_CONFIRMATION'
  /** Another restore is being planned or carried out in this app. */
  | 'RESTORE_BUSY'
  /** The running app could not be reached, or refused a command sent to it (cairn backup/restore while it is open). */
  | 'APP_CONTROL'
  // Backup Key Vault
  | 'VAULT_UNREACHABLE'
  | 'VAULT_WRONG_PASSWORD'
  | 'VAULT_KEY_DESTROYED'
  | 'VAULT_RATE_LIMITED'
  | 'VAULT_REJECTED'
  | 'VAULT_TAMPERED'
  | 'VAULT_TRY_LATER'
  | 'VAULT_INSECURE'
  // calls from the renderer
  | 'UNKNOWN_METHOD'
  | 'FORBIDDEN_SENDER'
  // backup destinations (folder, S3, WebDAV, SFTP): each names the destination and what to do
  | 'DESTINATION_INVALID'
  | 'DESTINATION_EXISTS'
  | 'DESTINATION_IN_USE'
  | 'DESTINATION_MISSING'
  | 'DESTINATION_AUTH'
  | 'DESTINATION_DENIED'
  | 'DESTINATION_FULL'
  | 'DESTINATION_SERVER'
  | 'DESTINATION_UNREACHABLE'
  | 'DESTINATION_TIMEOUT'
  | 'DESTINATION_TLS'
  | 'DESTINATION_HOST_KEY_UNKNOWN'
  | 'DESTINATION_HOST_KEY_CHANGED'
  | 'DESTINATION_LOCKED'
  | 'DESTINATION_CONFLICT'
  | 'DESTINATION_NO_CREDENTIALS'
  // worker threads
  | 'WORKER_STOPPED'
  | 'WORKER_UNAVAILABLE'
  // chat (XMPP)
  | 'CHAT_UNREACHABLE'
  | 'CHAT_TLS_REQUIRED'
  | 'CHAT_TLS_UNTRUSTED'
  | 'CHAT_AUTH_FAILED'
  | 'CHAT_NO_XMPP'
  | 'CHAT_NOT_CONNECTED'
  | 'CHAT_PROTOCOL'
  | 'CHAT_TIMEOUT'
  | 'CHAT_REJECTED'
  | 'CHAT_UPLOAD_FAILED'
  | 'CHAT_ACCOUNT_EXISTS'
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

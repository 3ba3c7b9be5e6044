/** What the UI shows for an account's connection. */
export type AccountStatus =
  | 'idle' // up to date (and watching the Inbox when push is on)
  | 'syncing'
  | 'offline' // the server cannot be reached; retrying with backoff
  | 'auth_failed' // the password or token was refused: the user must act
  | 'cert_untrusted' // no CA vouches for the certificate: the user must decide
  | 'cert_changed' // the certificate differs from the pinned one: the user must decide
  | 'error' // the server answered something unusable; retrying later

export interface AccountState {
  accountId: number
  status: AccountStatus
  /** A sentence for the user when something is wrong. */
  message: string | null
  /** For the certificate states: what the user is asked to trust. */
  certificate?: { fingerprint256: string; subject: string; issuer: string; validTo: string } | null
  lastSyncAt: number | null
  /** When the next automatic retry happens (offline/error). */
  retryAt: number | null
}

export interface SyncReport {
  accountId: number
  folders: number
  added: number
  removed: number
  flagsChanged: number
  bodies: number
  actionsReplayed: number
  actionsDropped: { kind: string; reason: string }[]
  uidvalidityResets: number
  /** Folders the server refused to open this time (the rest were synced). */
  skippedFolders: { path: string; reason: string }[]
}

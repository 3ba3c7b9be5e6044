import type { Command } from './command.js'

/** A command as `cairn --help` lists it; its module is loaded only when it runs. */
export interface LazyCommand {
  name: string
  summary: string
  load(): Promise<Command>
}

/**
 * Every command. Names and summaries are repeated here so that `cairn
 * --help` loads no command module (and none of SQLite, libsodium, the
 * keychain or OPAQUE behind them): a test checks they match the modules.
 */
export const commands: readonly LazyCommand[] = [
  {
    name: 'import',
    summary: 'Import mail from mbox files and folders of .eml files',
    load: async () => (await import('./import-command.js')).importCommand,
  },
  {
    name: 'account',
    summary: 'Add and list mail accounts (IMAP and SMTP)',
    load: async () => (await import('./account-command.js')).accountCommand,
  },
  {
    name: 'sync',
    summary: 'Sync mail accounts once (and send what waits in the outbox)',
    load: async () => (await import('./sync-command.js')).syncCommand,
  },
  {
    name: 'send',
    summary: 'Send a message from a mail account',
    load: async () => (await import('./send-command.js')).sendCommand,
  },
  {
    name: 'search',
    summary: 'Search all mail (the same search as the app)',
    load: async () => (await import('./search-command.js')).searchCommand,
  },
  {
    name: 'key',
    summary: 'Create, show, export or import the backup key',
    load: async () => (await import('./key-command.js')).keyCommand,
  },
  {
    name: 'backup',
    summary: 'Back up the profile, encrypted, to a folder or a destination',
    load: async () => (await import('./backup-command.js')).backupCommand,
  },
  {
    name: 'schedule',
    summary: 'Set where and when the app backs up this profile',
    load: async () => (await import('./schedule-command.js')).scheduleCommand,
  },
  {
    name: 'list',
    summary: 'List the backups in a folder or a destination',
    load: async () => (await import('./list-command.js')).listCommand,
  },
  {
    name: 'verify',
    summary: 'Check that a backup is intact (and, with the key, restorable)',
    load: async () => (await import('./verify-command.js')).verifyCommand,
  },
  {
    name: 'restore',
    summary: 'Replace the profile with a backup',
    load: async () => (await import('./restore-command.js')).restoreCommand,
  },
  {
    name: 'decrypt',
    summary: 'Decrypt any age file (X25519) to standard output',
    load: async () => (await import('./decrypt-command.js')).decryptCommand,
  },
  {
    name: 'vault',
    summary: 'Keep the backup key behind a password in the Backup Key Vault',
    load: async () => (await import('./vault-command.js')).vaultCommand,
  },
  {
    name: 'destination',
    summary: 'Add, list, test or remove named backup destinations (folder, S3, WebDAV, SFTP)',
    load: async () => (await import('./destination-command.js')).destinationCommand,
  },
  {
    name: 'chat',
    summary: 'Chat accounts (XMPP): add, send, sync, history',
    load: async () => (await import('./chat-command.js')).chatCommand,
  },
]

import { join } from 'node:path'

/**
 * What a profile folder holds. Everything in it travels in a backup except
 * the names listed in `notBackedUp`: the lock (it belongs to a process), the
 * cache (rebuilt on demand), the backup state (it describes backups of this very folder) and SQLite's -wal/-shm companions (a backup
 * captures each database as one consistent file instead).
 */
export const profileFiles = {
  database: 'mail.sqlite',
  attachments: 'attachments',
  settings: 'settings.json',
  lock: 'cairn.lock',
  cache: 'cache',
  /** What the last backup to each destination held (block hashes), for the next incremental. */
  backupState: 'backup-state',
} as const

export function profilePaths(dir: string) {
  return {
    dir,
    database: join(dir, profileFiles.database),
    attachments: join(dir, profileFiles.attachments),
    settings: join(dir, profileFiles.settings),
    lock: join(dir, profileFiles.lock),
    cache: join(dir, profileFiles.cache),
    backupState: join(dir, profileFiles.backupState),
  }
}

export type ProfilePaths = ReturnType<typeof profilePaths>

/** True for a top-level profile entry that a backup leaves out. */
export function isExcludedFromBackup(relativePath: string): boolean {
  const top = relativePath.split('/')[0] ?? ''
  if (top === profileFiles.lock || top === profileFiles.cache || top === profileFiles.backupState)
    return true
  if (top.endsWith('-wal') || top.endsWith('-shm') || top.endsWith('-journal')) return true
  return top.includes('.tmp-')
}

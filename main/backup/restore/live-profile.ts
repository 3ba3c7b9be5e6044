import Database from 'better-sqlite3'
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { profilePaths } from '../../profile/layout.js'
import { PROFILE_DIR_MODE } from '../../profile/permissions.js'
import { liveBackupSection, readSettingsJson } from './keep-custody.js'
import type { RestoreSummary } from './plan.js'

/**
 * What a restore would replace: the live profile as it is now (it may not
 * exist yet). Read-only; a damaged mailbox counts as something to lose.
 */
export function describeLive(profileDir: string): RestoreSummary['live'] {
  if (!existsSync(profileDir)) {
    return {
      profileDir,
      exists: false,
      profileId: null,
      messages: null,
      empty: true,
      newestBackupAt: null,
    }
  }
  const paths = profilePaths(profileDir)
  const settings = readSettingsJson(paths.settings)
  // No mailbox yet (a profile made only to hold the key, as `cairn vault recover` does): nothing in it.
  let messages: number | null = 0
  let empty = true
  if (existsSync(paths.database)) {
    try {
      const db = new Database(paths.database, { readonly: true, fileMustExist: true })
      try {
        const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n
        messages = count('SELECT count(*) AS n FROM messages')
        empty =
          messages === 0 &&
          count('SELECT count(*) AS n FROM chat_messages') === 0 &&
          count(`SELECT count(*) AS n FROM accounts WHERE kind <> 'local'`) === 0
      } finally {
        db.close()
      }
    } catch {
      // A damaged mailbox is one more reason to restore; it does not stop it.
      messages = null
      empty = false
    }
  }
  return {
    profileDir,
    exists: true,
    profileId: typeof settings?.profileId === 'string' ? settings.profileId : null,
    messages,
    empty,
    newestBackupAt: liveBackupSection(profileDir)?.lastSuccessAt ?? null,
  }
}

/** A private staging folder beside the profile (same filesystem: the swap is a rename). */
export function makeStaging(profileDir: string, staging: string): void {
  mkdirSync(dirname(profileDir), { recursive: true, mode: PROFILE_DIR_MODE })
  mkdirSync(staging, { mode: PROFILE_DIR_MODE })
}

export function removeStaging(staging: string): void {
  rmSync(staging, { recursive: true, force: true })
}

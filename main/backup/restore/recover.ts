import { existsSync, renameSync, rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { openMailDb } from '../../mail/db/connection.js'
import { profilePaths } from '../../profile/layout.js'
import { fsyncDirectorySync } from '../../shared/atomic-file.js'
import {
  ownerAlive,
  readJournal,
  removeJournal,
  staleStagingFolders,
  writeJournal,
  type RestoreJournal,
} from './journal.js'

export type RecoveryOutcome = 'nothing' | 'rolled back' | 'completed'

/**
 * Finish or undo a restore that a crash interrupted, before anything opens
 * the profile. Run at every start of the app and the CLI.
 *
 * - before the swap began: the live profile was never touched; the staging
 *   folder is removed (rolled back);
 * - during the swap: whichever renames happened are completed, since the
 *   staging folder was fully verified before the swap started;
 * - after the swap: the new profile is opened; if it opens cleanly the
 *   previous profile is removed (completed), otherwise the previous profile
 *   is put back (rolled back).
 *
 * A restore still running in another process is left alone.
 */
export function recoverInterruptedRestore(profileDir: string): RecoveryOutcome {
  const journal = readJournal(profileDir)
  if (!journal) {
    for (const dir of staleStagingFolders(profileDir)) rmSync(dir, { recursive: true, force: true })
    return 'nothing'
  }
  if (ownerAlive(journal) && journal.pid !== process.pid) return 'nothing'
  return finishSwap(profileDir, journal)
}

export function finishSwap(profileDir: string, journal: RestoreJournal): RecoveryOutcome {
  const parent = dirname(profileDir)
  if (journal.state === 'prepared') {
    rmSync(journal.staging, { recursive: true, force: true })
    removeJournal(profileDir)
    return 'rolled back'
  }
  if (journal.state === 'swapping') {
    const staging = existsSync(journal.staging)
    const live = existsSync(journal.profile)
    const aside = existsSync(journal.previous)
    if (staging && live && !aside) {
      // The first rename never happened: the live profile is the old one.
      rmSync(journal.staging, { recursive: true, force: true })
      removeJournal(profileDir)
      return 'rolled back'
    }
    if (staging && !live) renameSync(journal.staging, journal.profile)
    fsyncDirectorySync(parent)
    journal = { ...journal, state: 'swapped' }
    writeJournal(profileDir, journal)
  }
  // Swapped: keep the previous profile until the new one opens cleanly.
  if (opensCleanly(journal.profile)) {
    rmSync(journal.previous, { recursive: true, force: true })
    removeJournal(profileDir)
    return 'completed'
  }
  if (existsSync(journal.previous)) {
    renameSync(journal.profile, `${journal.profile}.failed-restore-${Date.now()}`)
    renameSync(journal.previous, journal.profile)
    fsyncDirectorySync(parent)
  }
  removeJournal(profileDir)
  return 'rolled back'
}

/**
 * Whether the app can open the profile: its database opens and migrates.
 * Its contents were checked in full (hashes, integrity_check) before the
 * swap began, so this does not scan it again.
 */
function opensCleanly(profileDir: string): boolean {
  const database = profilePaths(profileDir).database
  if (!existsSync(database)) return false
  try {
    const db = openMailDb(database)
    try {
      db.prepare('SELECT count(*) FROM sqlite_schema').get()
      return true
    } finally {
      db.close()
    }
  } catch {
    return false
  }
}

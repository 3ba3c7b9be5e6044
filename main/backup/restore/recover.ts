import { existsSync, renameSync, rmSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { openMailDb } from '../../mail/db/connection.js'
import { profilePaths } from '../../profile/layout.js'
import { acquireProfileLock } from '../../profile/lock.js'
import { readSettings } from '../../profile/settings.js'
import { fsyncDirectorySync } from '../../shared/atomic-file.js'
import { CairnError } from '../../shared/errors.js'
import { reachedStep } from '../../shared/test-hooks.js'
import {
  ownerAlive,
  readJournal,
  removeJournal,
  staleJournalTemps,
  staleStagingFolders,
  writeJournal,
  type RestoreJournal,
} from './journal.js'
import { resolveProfilePath, restoreNames } from './profile-path.js'

export type RecoveryOutcome = 'nothing' | 'rolled back' | 'completed'

/** Points of a restore's swap, for crash tests (test build) and in-process hooks. */
export type SwapStep =
  | 'prepared'
  | 'moved-aside'
  | 'swapped'
  | 'completing'
  | 'rollback-started'
  | 'rollback-moved-aside'
  | 'rollback-restored'

/**
 * Finish or undo a restore that a crash interrupted, before anything opens
 * the profile. Run at every start of the app and the CLI. Every state the
 * journal can be in is handled, whatever step the crash interrupted (see
 * finishRestore). A restore still running in another process is not
 * touched: the profile is refused until it ends.
 */
export function recoverInterruptedRestore(profileDir: string): RecoveryOutcome {
  const profile = resolveProfilePath(profileDir)
  for (const file of staleJournalTemps(profile)) rmSync(file, { force: true })
  const journal = readJournal(profile)
  if (!journal) {
    for (const dir of staleStagingFolders(profile)) rmSync(dir, { recursive: true, force: true })
    return 'nothing'
  }
  if (journal.pid !== process.pid && ownerAlive(journal)) {
    throw new CairnError(
      'PROFILE_LOCKED',
      `A restore into this profile is running (process ${journal.pid}, since ${journal.startedAt}); wait for it to finish, then try again.`,
    )
  }
  // Two Cairn processes starting at once must not both finish the same restore.
  const lock = acquireProfileLock(restoreNames(profile).recoveryLock)
  try {
    const current = readJournal(profile)
    return current ? finishRestore(current) : 'nothing'
  } finally {
    lock.release()
  }
}

/**
 * Take a restore from the state its journal records to its end. Each step
 * is a rename whose having happened or not can be seen from which folders
 * exist, so a crash at any point, including during this function, leaves a
 * state the next call finishes:
 *
 * - prepared: the live profile was never touched; the staging folder goes.
 * - swapping: whichever renames happened are completed (the staging folder
 *   was fully verified before the swap began); if the first never happened,
 *   the staging folder goes.
 * - swapped: the new profile is opened. If it opens, the journal says
 *   `completing` before the previous profile is removed (so a crash while
 *   removing it never brings a half-removed profile back); if not, it says
 *   `rolling-back`.
 * - rolling-back: the new profile is moved aside, the previous one is put
 *   back, the failed one is removed.
 */
export function finishRestore(
  journal: RestoreJournal,
  onStep?: (step: SwapStep) => void,
  options: {
    /**
     * Stop at `completing` and leave the previous profile (and the journal
     * saying so) for the caller to remove without blocking its thread
     * (completeRestore); a crash meanwhile is finished by the next start.
     */
    deferRemoval?: boolean
  } = {},
): RecoveryOutcome {
  const step = (name: SwapStep) => {
    reachedStep(name)
    onStep?.(name)
  }
  const { profile, staging, previous } = journal
  const failed =
    journal.failed ?? join(dirname(profile), `.${basename(profile)}.failed-restore-recovered`)
  const parent = dirname(profile)
  const has = (path: string) => existsSync(path)
  const move = (from: string, to: string) => {
    renameSync(from, to)
    fsyncDirectorySync(parent)
  }
  const end = (outcome: RecoveryOutcome): RecoveryOutcome => {
    removeJournal(profile)
    return outcome
  }

  if (journal.state === 'prepared') {
    rmSync(staging, { recursive: true, force: true })
    return end('rolled back')
  }

  if (journal.state === 'swapping') {
    const live = has(profile)
    const staged = has(staging)
    const aside = has(previous)
    if (staged && live && (!journal.hadProfile || !aside)) {
      // The first rename never happened (or, with no profile before, one appeared meanwhile).
      rmSync(staging, { recursive: true, force: true })
      return end('rolled back')
    }
    if (staged && live) {
      // Both renames pending although the profile went aside: something made a new folder at the
      // profile's place meanwhile. It is kept beside (never deleted), and the swap completed.
      move(profile, `${failed}-found`)
      move(staging, profile)
    } else if (staged && !live) move(staging, profile)
    else if (!staged && !live) {
      if (!aside) return end('nothing')
      move(previous, profile)
      return end('rolled back')
    }
    journal = writeJournal(profile, { ...journal, state: 'swapped' })
  }

  if (journal.state === 'swapped') {
    if (!has(profile)) {
      // Nothing at the profile's place (an earlier Cairn crashed while putting the old one back).
      if (has(previous)) move(previous, profile)
      rmSync(failed, { recursive: true, force: true })
      return end('rolled back')
    }
    if (opensCleanly(profile)) {
      journal = writeJournal(profile, { ...journal, state: 'completing' })
      step('completing')
    } else {
      journal = writeJournal(profile, { ...journal, state: 'rolling-back', failed })
      step('rollback-started')
    }
  }

  if (journal.state === 'completing') {
    if (options.deferRemoval) return 'completed'
    rmSync(previous, { recursive: true, force: true })
    return end('completed')
  }

  // Rolling back: the restored profile does not open.
  if (journal.hadProfile) {
    if (has(profile) && has(previous)) {
      move(profile, failed)
      step('rollback-moved-aside')
    }
    if (!has(profile) && has(previous)) {
      move(previous, profile)
      step('rollback-restored')
    }
    // The previous profile is gone as well: keep the restored one rather than nothing.
    if (!has(profile) && has(failed)) move(failed, profile)
  } else if (has(profile)) {
    move(profile, failed)
    step('rollback-moved-aside')
  }
  rmSync(failed, { recursive: true, force: true })
  return end('rolled back')
}

/**
 * The end of a restore that finishRestore left at `completing`: the previous
 * profile is removed off the calling thread (in the app, a whole mailbox
 * removed synchronously froze the window for seconds), then the journal.
 */
export async function completeRestore(journal: RestoreJournal): Promise<void> {
  await rm(journal.previous, { recursive: true, force: true })
  removeJournal(journal.profile)
}

/**
 * Whether the app can open the profile: its settings read and its database
 * opens and migrates. Its contents were checked in full (hashes,
 * integrity_check, schema) before the swap began, so this does not scan it
 * again.
 */
function opensCleanly(profileDir: string): boolean {
  const paths = profilePaths(profileDir)
  if (!existsSync(paths.database)) return false
  try {
    readSettings(paths.settings)
    const db = openMailDb(paths.database)
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

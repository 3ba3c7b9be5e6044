import { existsSync, readdirSync, renameSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { hostname } from 'node:os'
import { dirname, join } from 'node:path'
import { profilePaths } from '../../profile/layout.js'
import { acquireProfileLock, type ProfileLock } from '../../profile/lock.js'
import { fsyncDirectory, fsyncDirectorySync } from '../../shared/atomic-file.js'
import { CairnError, describeError } from '../../shared/errors.js'
import { reachedStep } from '../../shared/test-hooks.js'
import type { Manifest } from '../archive/manifest.js'
import { dropUnvouchedSecrets, putBackAccountSecrets } from '../secrets-entry.js'
import {
  backupSectionAfterRestore,
  liveBackupSection,
  liveDestinations,
  readSettingsJson,
  writeBackupSection,
} from './keep-custody.js'
import { writeJournal, type RestoreJournal } from './journal.js'
import {
  discardStaged,
  stageRestore,
  type Confirmation,
  type ConfirmationKind,
  type RestoreRequest,
  type RestoreStep,
  type RestoreSummary,
  type StagedRestore,
} from './plan.js'
import { restoreNames } from './profile-path.js'
import { stageRestoreInWorker } from './stage-in-worker.js'
import { completeRestore, finishRestore } from './recover.js'
import { describeRestoreFailure } from './restore-errors.js'

export type {
  Confirmation,
  ConfirmationKind,
  RestoreRequest,
  RestoreStep,
  RestoreSummary,
} from './plan.js'

export interface RestoreResult {
  manifest: Manifest
  summary: RestoreSummary
  /** The profile that was replaced is removed once the new one opened cleanly. */
  previousRemoved: boolean
  /** Account passwords and tokens put back into the keychain. */
  accountSecretsRestored: number
  warnings: string[]
}

/**
 * A restore in two steps, so that a user can see what it changes before it
 * does: `planRestore` verifies and unpacks the backup beside the profile and
 * returns what would change (`summary`) and what needs the user's yes
 * (`confirmations`: an older backup than the profile's newest, another
 * profile's backup, a backup whose name or sidecar disagrees with its
 * contents, passwords that cannot go back into the keychain). `execute`
 * swaps it in, given the kinds the user confirmed; `discard` drops it.
 */
export interface RestorePlan {
  readonly summary: RestoreSummary
  readonly confirmations: readonly Confirmation[]
  execute(options?: { confirm?: readonly ConfirmationKind[] }): Promise<RestoreResult>
  discard(): void
}

export async function planRestore(request: RestoreRequest): Promise<RestorePlan> {
  const staged =
    request.offThread && !request.source && !request.onStep
      ? await stageRestoreInWorker(request)
      : await stageRestore(request)
  let settled = false
  return {
    summary: staged.summary,
    confirmations: staged.confirmations,
    async execute(options = {}) {
      if (settled)
        throw new CairnError(
          'INVALID_ARGUMENT',
          'This restore was already carried out or discarded.',
        )
      const missing = staged.confirmations.filter((c) => !options.confirm?.includes(c.kind))
      if (missing.length > 0) {
        throw new CairnError(
          'RESTORE_NEEDS_CONFIRMATION',
          `${missing.map((c) => c.message).join(' ')} Nothing was changed; confirm to restore it anyway.`,
        )
      }
      settled = true
      try {
        return await swapIn(staged)
      } finally {
        discardStaged(staged)
      }
    },
    discard() {
      if (settled) return
      settled = true
      discardStaged(staged)
    },
  }
}

/**
 * Replace a profile with a backup in one call (what the command line does):
 * plan, then execute with the confirmations given.
 */
export async function restoreBackup(
  request: RestoreRequest & { confirm?: readonly ConfirmationKind[] },
): Promise<RestoreResult> {
  const plan = await planRestore(request)
  try {
    return await plan.execute({ confirm: request.confirm ?? [] })
  } finally {
    plan.discard()
  }
}

/**
 * Restore, part two. The caller must have closed the profile (this takes
 * its lock). The staged settings get the backup section the restored
 * profile keeps (keep-custody.ts); the staging folder is fsynced; then the
 * folders are swapped with two renames recorded in a journal, so a crash at
 * any step is finished or undone at the next start; the new profile is
 * opened, and only then is the previous one removed. Last, the account
 * secrets go back into the keychain.
 */
async function swapIn(staged: StagedRestore): Promise<RestoreResult> {
  const { profileDir, staging, stamp, request } = staged
  const onStep = (step: RestoreStep) => {
    reachedStep(step)
    request.onStep?.(step)
  }
  const hadProfile = existsSync(profileDir)
  const names = restoreNames(profileDir)
  let lock: ProfileLock | null = null
  let swapStarted = false
  let completing: RestoreJournal | null = null
  try {
    lock = hadProfile ? acquireProfileLock(profilePaths(profileDir).lock) : null
    writeBackupSection(
      staging,
      backupSectionAfterRestore(
        hadProfile ? liveBackupSection(profileDir) : null,
        readSettingsJson(profilePaths(staging).settings)?.backup,
        request.key,
        request.keyCustody ?? 'user',
        new Date(),
      ),
      hadProfile ? liveDestinations(profileDir) : undefined,
    )
    await fsyncTree(staging)

    const journal: RestoreJournal = {
      version: 2,
      state: 'prepared',
      profile: profileDir,
      staging,
      previous: names.previous(stamp),
      failed: names.failed(stamp),
      hadProfile,
      pid: process.pid,
      host: hostname(),
      startedAt: new Date().toISOString(),
    }
    writeJournal(profileDir, journal)
    onStep('prepared')
    writeJournal(profileDir, { ...journal, state: 'swapping' })
    swapStarted = true
    if (hadProfile) {
      renameSync(profileDir, journal.previous)
      onStep('moved-aside')
    }
    renameSync(staging, profileDir)
    fsyncDirectorySync(dirname(profileDir))
    const swapped = writeJournal(profileDir, { ...journal, state: 'swapped' })
    onStep('swapped')
    if (finishRestore(swapped, onStep, { deferRemoval: true }) !== 'completed') {
      throw new CairnError(
        'RESTORE_FAILED',
        'The restored profile did not open, so your previous profile was put back as it was.',
      )
    }
    completing = swapped
  } catch (error) {
    if (!swapStarted) throw describeRestoreFailure(error, profileDir)
    if (error instanceof CairnError) throw error
    throw new CairnError(
      'RESTORE_FAILED',
      `The restore stopped while swapping the profile (${describeError(error)}). ` +
        'The next start of Cairn finishes it or puts your previous profile back.',
      { cause: error },
    )
  } finally {
    // The lock moved away with the previous profile (and was removed with it); release is a no-op then.
    lock?.release()
  }

  // The swap is done; the previous profile goes without blocking this thread (the app's window).
  if (completing) await completeRestore(completing)

  // The swap is done: the secrets go back into the keychain, under the restored profile's id.
  const warnings: string[] = []
  let accountSecretsRestored = 0
  if (staged.secrets) {
    try {
      accountSecretsRestored = putBackAccountSecrets(staged.secretStore, staged.secrets)
    } catch (error) {
      warnings.push(
        `The account passwords could not be put back into the keychain (${describeError(error)}): ` +
          'the accounts will ask for them again. Restoring the same backup again once the keychain works puts them back.',
      )
    }
  }
  // Secrets saved for the replaced profile's accounts stay only with those very accounts: a
  // backup (anyone can make one) whose account of the same id points elsewhere gets none.
  if (staged.unvouchedAccounts.length > 0) {
    try {
      const dropped = dropUnvouchedSecrets(
        staged.secretStore,
        staged.manifest.profileId,
        staged.unvouchedAccounts,
        staged.secrets,
      )
      if (dropped > 0)
        warnings.push(
          `${dropped} saved account password(s) were not kept: the restored accounts they belonged to have other settings than before, ` +
            'so they will ask for their passwords again.',
        )
    } catch (error) {
      warnings.push(
        `Cairn could not remove the saved passwords of ${staged.unvouchedAccounts.length} restored account(s) whose settings are not those of your profile (${describeError(error)}): ` +
          'check which servers those accounts connect to before they sync.',
      )
    }
  }
  return {
    manifest: staged.manifest,
    summary: staged.summary,
    previousRemoved: true,
    accountSecretsRestored,
    warnings,
  }
}

/** Make every staged file and folder durable before the swap, several at a time. */
async function fsyncTree(root: string): Promise<void> {
  const entries = readdirSync(root, { withFileTypes: true, recursive: true })
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
  await eachAtOnce(files, 8, async (file) => {
    const handle = await open(file, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  })
  // Folders too, off this thread and not one by one: the attachment store has hundreds of them.
  const dirs = entries.filter((e) => e.isDirectory()).map((e) => join(e.parentPath, e.name))
  await eachAtOnce(dirs, 8, fsyncDirectory)
  await fsyncDirectory(root)
}

async function eachAtOnce<T>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++] as T)
    }),
  )
}

import { existsSync, statSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import type { Profile } from '../../profile/profile.js'
import { CairnError } from '../../shared/errors.js'
import { writeBackupSettings, type BackupSettings } from '../backup-settings.js'
import { checkFolder, checkFolderOutsideProfile } from '../destination/folder/folder-destination.js'
import type { RetentionPolicy } from '../destination/retention.js'
import type { SchedulePolicy } from '../schedule/policy.js'
import { ensureBackupFolder } from './default-folder.js'
import { updateBackupUiState } from './ui-state.js'

/**
 * Where backups go, as the settings screen chooses it. One kind today; the
 * Destination interface's other kinds (S3, WebDAV, SFTP) become further
 * members of this union, each with its own editor in the screen.
 */
export type DestinationChoice = { kind: 'folder'; path: string }

/** Retention presets offered beside custom numbers. */
export const RETENTION_PRESETS: Record<'few' | 'standard' | 'many', RetentionPolicy> = {
  few: { keepLast: 2, daily: 3, weekly: 2, monthly: 3 },
  standard: { keepLast: 3, daily: 7, weekly: 4, monthly: 12 },
  many: { keepLast: 5, daily: 14, weekly: 8, monthly: 36 },
}

function change(
  profile: Profile,
  update: (current: BackupSettings) => BackupSettings,
): BackupSettings {
  const written = writeBackupSettings(profile, (current) => {
    if (!current)
      throw new CairnError(
        'BACKUP_NOT_CONFIGURED',
        'Backups are not set up yet: choose where your backup key is kept first.',
      )
    return update(current)
  })
  return written as BackupSettings
}

/** The folder a choice names, as an absolute path; refuses one that is not a full path. */
function folderOf(choice: DestinationChoice): string {
  const path = choice.path.trim()
  if (!path || !isAbsolute(path))
    throw new CairnError(
      'INVALID_ARGUMENT',
      `"${path}" is not a full folder path: give one that starts at the top (like /home/you/Backups or C:\\Backups).`,
    )
  return resolve(path)
}

/**
 * Would `choice` take backups? Checked without changing anything on disk:
 * outside the profile, and either a writable folder or a folder that can be
 * made (its nearest existing parent is a writable folder).
 */
export function checkDestinationChoice(profile: Profile, choice: DestinationChoice): string {
  const folder = folderOf(choice)
  checkFolderOutsideProfile(folder, profile.paths.dir)
  let existing = folder
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing)
  if (existsSync(existing) && !statSync(existing).isDirectory())
    throw new CairnError(
      'BACKUP_DESTINATION',
      `${existing} is a file, not a folder: choose another folder for your backups.`,
    )
  // The folder, or the parent it would be made in, must take new files.
  checkFolder(existing)
  return folder
}

/**
 * Make `choice` the destination. A folder is made if missing (private to the
 * user), must be writable, and must not be inside the profile. Nothing is
 * saved when any check fails.
 */
export function setDestination(profile: Profile, choice: DestinationChoice): string {
  const folder = checkDestinationChoice(profile, choice)
  ensureBackupFolder(folder)
  checkFolder(folder)
  change(profile, (current) => ({ ...current, destination: folder }))
  return folder
}

/** Automatic backups on a policy, or off (null). Switching them on starts the overdue clock. */
export function setSchedule(profile: Profile, schedule: SchedulePolicy | null, now: Date): void {
  const before = change(profile, (current) => current)
  change(profile, (current) => ({ ...current, schedule }))
  if (schedule && !before.schedule)
    updateBackupUiState(profile, () => ({ scheduleSince: now.toISOString() }))
  if (!schedule) updateBackupUiState(profile, () => ({ scheduleSince: null }))
}

export function setRetention(profile: Profile, retention: RetentionPolicy): void {
  change(profile, (current) => ({
    ...current,
    retention: { ...retention, keepLast: Math.max(1, retention.keepLast) },
  }))
}

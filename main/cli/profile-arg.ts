import { existsSync } from 'node:fs'
import { backupSettingsSchema, type BackupSettings } from '../backup/backup-settings.js'
import { recoverInterruptedRestore } from '../backup/restore/recover.js'
import { runningAppOf } from '../profile/app-control.js'
import { profilePaths } from '../profile/layout.js'
import { resolveProfileDir } from '../profile/location.js'
import { openProfile, type Profile } from '../profile/profile.js'
import { readSettings, type Settings } from '../profile/settings.js'
import { CairnError, isCairnError } from '../shared/errors.js'
import type { CliContext } from './command.js'

export const profileOption = { profile: { type: 'string' } } as const

export function profileDirOf(
  values: { profile?: string | undefined },
  context: CliContext,
): string {
  return resolveProfileDir(values.profile ? ['--profile', values.profile] : [], context.env)
}

/**
 * Open the profile for a command, first finishing or undoing a restore a
 * crash interrupted. When the Cairn app holds it, the refusal says so and
 * what to do.
 */
export function openCliProfile(dir: string): Profile {
  try {
    recoverInterruptedRestore(dir)
    return openProfile(dir)
  } catch (error) {
    if (isCairnError(error, 'PROFILE_LOCKED') && runningAppOf(dir))
      throw new CairnError(
        'PROFILE_LOCKED',
        'The Cairn app has this profile open. Make this change in the app (Settings → Backups), or close the app first. ' +
          '(Reading commands such as `cairn key show`, `cairn schedule`, `cairn list` and `cairn verify` work while it is open; ' +
          '`cairn backup` and `cairn restore` are carried out by the app.)',
      )
    throw error
  }
}

/** Run `action` with the command's profile open, closing it whatever happens. */
export async function withCliProfile<T>(
  values: { profile?: string | undefined },
  context: CliContext,
  action: (profile: Profile) => Promise<T>,
): Promise<T> {
  const profile = openCliProfile(profileDirOf(values, context))
  try {
    return await action(profile)
  } finally {
    profile.close()
  }
}

/**
 * A profile's settings read without its lock, for commands that only look
 * (`key show`, `schedule` with no change): they work while the app has the
 * profile open. The settings file is replaced atomically, so a read sees
 * one whole version. A restore a crash interrupted is finished or undone
 * first, as for every command (while one runs in the app, this is refused
 * until it ends): otherwise a reading command would show a half-swapped
 * profile, and leave it so.
 */
export function readProfileUnlocked(dir: string): {
  dir: string
  settings: Settings
  backup: BackupSettings | null
} {
  recoverInterruptedRestore(dir)
  const settings = existsSync(dir) ? readSettings(profilePaths(dir).settings) : undefined
  if (!settings)
    throw new CairnError(
      'PROFILE_UNAVAILABLE',
      `There is no Cairn profile at ${dir}. Check the --profile path.`,
    )
  const raw = (settings as Record<string, unknown>).backup
  if (raw === undefined || raw === null) return { dir, settings, backup: null }
  const parsed = backupSettingsSchema.safeParse(raw)
  if (!parsed.success)
    throw new CairnError(
      'SETTINGS_INVALID',
      `The backup settings of this profile are damaged (${parsed.error.issues[0]?.message ?? 'invalid'}).`,
    )
  return { dir, settings, backup: parsed.data }
}

export function requireBackupSettingsOf(backup: BackupSettings | null): BackupSettings {
  if (!backup)
    throw new CairnError(
      'BACKUP_NOT_CONFIGURED',
      'Backups are not set up for this profile yet: create a backup key first (cairn key create).',
    )
  return backup
}

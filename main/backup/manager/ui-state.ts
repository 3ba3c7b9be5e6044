import { z } from 'zod'
import type { Profile } from '../../profile/profile.js'

/**
 * What the backup screens remember beside the engine's backup settings, in
 * their own section of settings.json (`backupUi`), so the engine's section
 * stays the engine's:
 * - keyWrittenDown: the user proved (by typing digits back) that they have
 *   the key with this fingerprint on paper; a new key starts unconfirmed.
 * - scheduleSince: when automatic backups were switched on, so "overdue"
 *   can be told before the first success.
 * - lastErrorCode: the code of the last failed run, so "fix it" opens the
 *   right control after a restart too (the engine keeps only the message).
 */
export const backupUiStateSchema = z
  .object({
    keyWrittenDown: z.object({ fingerprint: z.string(), at: z.string() }).nullable().default(null),
    scheduleSince: z.string().nullable().default(null),
    lastErrorCode: z.string().max(64).nullable().default(null),
  })
  .loose()

export type BackupUiState = z.infer<typeof backupUiStateSchema>

const EMPTY: BackupUiState = { keyWrittenDown: null, scheduleSince: null, lastErrorCode: null }

export function readBackupUiState(profile: Profile): BackupUiState {
  const parsed = backupUiStateSchema.safeParse(
    (profile.settings() as Record<string, unknown>).backupUi,
  )
  return parsed.success ? parsed.data : { ...EMPTY }
}

export function updateBackupUiState(
  profile: Profile,
  change: (current: BackupUiState) => Partial<BackupUiState>,
): BackupUiState {
  let next = { ...EMPTY }
  profile.updateSettings((settings) => {
    const parsed = backupUiStateSchema.safeParse((settings as Record<string, unknown>).backupUi)
    const current = parsed.success ? parsed.data : { ...EMPTY }
    next = { ...current, ...change(current) }
    return { ...settings, backupUi: next }
  })
  return next
}

/** Whether the user confirmed having written down the key with this fingerprint. */
export function keyIsWrittenDown(state: BackupUiState, fingerprint: string): boolean {
  return state.keyWrittenDown?.fingerprint === fingerprint
}

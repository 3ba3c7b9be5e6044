import { z } from 'zod'
import type { Profile } from '../profile/profile.js'
import { CairnError } from '../shared/errors.js'
import { DEFAULT_RETENTION } from './destination/retention.js'
import { schedulePolicySchema } from './schedule/policy.js'

/**
 * The backup section of a profile's settings. It holds only public things:
 * the key's recipient and fingerprint (enough to write backups), where the
 * secret is kept, the destination, the schedule and the scheduler's state.
 */
export const backupSettingsSchema = z
  .object({
    recipient: z.string().startsWith('age1'),
    fingerprint: z.string(),
    custody: z.enum(['keychain', 'user', 'vault']),
    keyCreatedAt: z.string(),
    vault: z.object({ url: z.string(), recordId: z.string() }).nullable().default(null),
    destination: z.string().nullable().default(null),
    schedule: schedulePolicySchema.nullable().default(null),
    retention: z
      .object({
        keepLast: z.number().int().min(1),
        daily: z.number().int().min(0),
        weekly: z.number().int().min(0),
        monthly: z.number().int().min(0),
      })
      .default(DEFAULT_RETENTION),
    lastSuccessAt: z.string().nullable().default(null),
    lastAttemptAt: z.string().nullable().default(null),
    lastError: z.string().nullable().default(null),
  })
  .loose()

export type BackupSettings = z.infer<typeof backupSettingsSchema>

export function readBackupSettings(profile: Profile): BackupSettings | null {
  const raw = (profile.settings() as Record<string, unknown>).backup
  if (raw === undefined || raw === null) return null
  const parsed = backupSettingsSchema.safeParse(raw)
  if (!parsed.success) {
    throw new CairnError(
      'SETTINGS_INVALID',
      `The backup settings of this profile are damaged (${parsed.error.issues[0]?.message ?? 'invalid'}).`,
    )
  }
  return parsed.data
}

export function requireBackupSettings(profile: Profile): BackupSettings {
  const settings = readBackupSettings(profile)
  if (!settings) {
    throw new CairnError(
      'BACKUP_NOT_CONFIGURED',
      'Backups are not set up for this profile yet: create a backup key first (cairn key create).',
    )
  }
  return settings
}

/**
 * Make `key` the profile's backup key, kept as `custody` says. Where,
 * when and how many backups stay as they were; the record of past runs
 * starts again for a new key.
 */
export function setBackupKey(
  profile: Profile,
  key: { recipient: string; fingerprint: string },
  custody: BackupSettings['custody'],
  vault: BackupSettings['vault'] = null,
): void {
  writeBackupSettings(profile, (current) => {
    const sameKey = current?.fingerprint === key.fingerprint
    return {
      recipient: key.recipient,
      fingerprint: key.fingerprint,
      custody,
      keyCreatedAt: sameKey && current ? current.keyCreatedAt : new Date().toISOString(),
      vault,
      destination: current?.destination ?? null,
      schedule: current?.schedule ?? null,
      retention: current?.retention ?? DEFAULT_RETENTION,
      lastSuccessAt: sameKey ? (current?.lastSuccessAt ?? null) : null,
      lastAttemptAt: sameKey ? (current?.lastAttemptAt ?? null) : null,
      lastError: sameKey ? (current?.lastError ?? null) : null,
    }
  })
}

/** Note what the last backup run did (the scheduler catches up from it). */
export function recordBackupRun(
  profile: Profile,
  run: Pick<BackupSettings, 'lastAttemptAt' | 'lastError'> & { lastSuccessAt?: string },
): void {
  writeBackupSettings(profile, (current) => current && { ...current, ...run })
}

export function writeBackupSettings(
  profile: Profile,
  change: (current: BackupSettings | null) => BackupSettings | null,
): BackupSettings | null {
  let result: BackupSettings | null = null
  profile.updateSettings((settings) => {
    const current = (() => {
      const parsed = backupSettingsSchema.safeParse((settings as Record<string, unknown>).backup)
      return parsed.success ? parsed.data : null
    })()
    result = change(current)
    return { ...settings, backup: result }
  })
  return result
}

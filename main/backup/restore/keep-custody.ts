import { readFileSync } from 'node:fs'
import { profilePaths } from '../../profile/layout.js'
import { writeFileAtomicSync } from '../../shared/atomic-file.js'
import { parseRecipient } from '../age/x25519.js'
import { backupSettingsSchema, type BackupSettings } from '../backup-settings.js'
import { DEFAULT_RETENTION } from '../destination/retention.js'
import { fingerprintOf, type BackupKey } from '../key/backup-key.js'

/**
 * Which key the restored profile backs up to. A backup's settings.json is
 * not trusted for that: restoring an older backup after a key change would
 * silently bring the old key back, and anyone who can write to the backup
 * folder can make a backup (the recipient is public) whose settings name
 * their own recipient beside the user's fingerprint.
 *
 * - Over a profile that has backups set up, its backup section (key,
 *   custody, vault record, folder, schedule, retention, history) is kept
 *   whole: the restore changes the mail, not where backups go. Only a
 *   profile that has a key but no backup folder yet (a new machine, the key
 *   imported or recovered first) takes the folder, schedule and retention
 *   of a backup made with that same key.
 * - On a new profile, the key is the one the user just proved by opening
 *   the backup. The backup's own section is kept only if it names that very
 *   key (fingerprint and recipient both); otherwise backups go to that key,
 *   kept by the user (or in the keychain, when it came from there), with no
 *   folder or schedule until the user chooses them.
 */
export function backupSectionAfterRestore(
  live: BackupSettings | null,
  restored: unknown,
  key: BackupKey,
  keyCustody: BackupSettings['custody'],
  now: Date,
): BackupSettings {
  const parsed = backupSettingsSchema.safeParse(restored)
  if (live) {
    if (live.destination || !parsed.success || !namesKey(parsed.data, live)) return live
    const { destination, schedule, retention } = parsed.data
    return { ...live, destination, schedule, retention }
  }
  if (parsed.success && namesKey(parsed.data, key)) return { ...parsed.data, lastError: null }
  return {
    recipient: key.recipient,
    fingerprint: key.fingerprint,
    custody: keyCustody,
    keyCreatedAt: now.toISOString(),
    vault: null,
    destination: null,
    schedule: null,
    retention: DEFAULT_RETENTION,
    lastSuccessAt: null,
    lastAttemptAt: null,
    lastError: null,
  }
}

function namesKey(
  section: BackupSettings,
  key: { fingerprint: string; recipient: string },
): boolean {
  if (section.fingerprint !== key.fingerprint || section.recipient !== key.recipient) return false
  try {
    return fingerprintOf(parseRecipient(section.recipient)) === key.fingerprint
  } catch {
    return false
  }
}

/** The live profile's backup section, or null when it has none (or its settings cannot be read). */
export function liveBackupSection(profileDir: string): BackupSettings | null {
  const raw = readSettingsJson(profilePaths(profileDir).settings)
  const parsed = backupSettingsSchema.safeParse(raw?.backup)
  return parsed.success ? parsed.data : null
}

/**
 * Rewrite the staged profile's settings with the backup section decided
 * above (before the swap), and with the live profile's named destinations
 * when there is a live profile: like the backup section, where backups go
 * (and the keychain secrets those destinations use, named by the live
 * profile) is not something a restore of mail changes, and a backup's own
 * list is not to be trusted for it. A new profile keeps the backup's list.
 */
export function writeBackupSection(
  stagedDir: string,
  section: BackupSettings,
  liveDestinations?: unknown,
): unknown {
  const path = profilePaths(stagedDir).settings
  const settings = readSettingsJson(path) ?? {}
  const before = settings.backup
  const next: Record<string, unknown> = { ...settings, backup: section }
  if (liveDestinations !== undefined) {
    if (liveDestinations === null) delete next.destinations
    else next.destinations = liveDestinations
  }
  writeFileAtomicSync(path, `${JSON.stringify(next, null, 2)}\n`)
  return before
}

/** The live profile's named destinations as they are in its settings (null: none), for writeBackupSection. */
export function liveDestinations(profileDir: string): unknown {
  return readSettingsJson(profilePaths(profileDir).settings)?.destinations ?? null
}

export function readSettingsJson(path: string): Record<string, unknown> | null {
  try {
    const json: unknown = JSON.parse(readFileSync(path, 'utf8'))
    return typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : null
  } catch {
    return null
  }
}

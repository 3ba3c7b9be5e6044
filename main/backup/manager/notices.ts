import { formatRelative } from '../../../common/relative-time.js'
import type { VaultRecordStatus } from '../../vault/record-check.js'
import type { BackupSettings } from '../backup-settings.js'
import type { SchedulePolicy } from '../schedule/policy.js'
import { keyIsWrittenDown, type BackupUiState } from './ui-state.js'

/** The backup screen (or part of it) a notice's action opens. */
export type BackupScreen = 'status' | 'destination' | 'schedule' | 'key' | 'history' | 'restore'

export interface BackupNotice {
  /** One per condition, so the UI and desktop notifications can tell a new notice from an old one. */
  id: 'failing' | 'overdue' | 'key-only-here' | 'vault-record' | 'not-set-up'
  severity: 'error' | 'warning' | 'info'
  title: string
  message: string
  action: { label: string; screen: BackupScreen }
  /** Changes when what the notice says changes (a desktop notification is shown once per signature). */
  signature: string
}

export interface NoticeInput {
  settings: BackupSettings | null
  ui: BackupUiState
  vaultRecord: VaultRecordStatus | null
  /** The mailbox holds something worth backing up (no nagging on an empty first run). */
  hasMail: boolean
  now: Date
}

/** How long one scheduled period is. */
export function scheduleIntervalMs(policy: SchedulePolicy): number {
  if (policy.kind === 'interval') return policy.hours * 3_600_000
  return (policy.kind === 'daily' ? 1 : 7) * 86_400_000
}

/**
 * Backups are overdue when automatic backups are on and nothing succeeded in
 * twice the schedule's period: counted from the last success, or, before the
 * first one, from when the schedule was switched on.
 */
export function overdueSince(
  settings: BackupSettings | null,
  ui: BackupUiState,
  now: Date,
): Date | null {
  if (!settings?.schedule || !settings.destination) return null
  const base = settings.lastSuccessAt ?? ui.scheduleSince ?? settings.keyCreatedAt
  const since = new Date(base)
  if (Number.isNaN(since.getTime())) return null
  return now.getTime() - since.getTime() > 2 * scheduleIntervalMs(settings.schedule) ? since : null
}

/** Whether the last attempt failed (and nothing has succeeded since). */
export function isFailing(settings: BackupSettings | null): boolean {
  if (!settings?.lastError) return false
  if (!settings.lastSuccessAt || !settings.lastAttemptAt) return true
  return settings.lastAttemptAt >= settings.lastSuccessAt
}

/** Which control fixes a failure with this error code. */
export function fixFor(code: string | null): { label: string; screen: BackupScreen } {
  if (!code) return { label: 'Fix it', screen: 'destination' }
  if (code === 'DISK_FULL' || code === 'BACKUP_DESTINATION' || code.startsWith('DESTINATION_'))
    return { label: 'Fix it', screen: 'destination' }
  if (code === 'BACKUP_KEY_INVALID' || code === 'BACKUP_NOT_CONFIGURED' || code.startsWith('KEY'))
    return { label: 'Fix it', screen: 'key' }
  return { label: 'Try again', screen: 'status' }
}

/**
 * What the user should know about their backups, most urgent first: the
 * last backup failed (with its reason), backups are overdue, the key is
 * kept only in this computer's keychain (the one thing that makes a
 * reinstall lose everything), the vault record needs attention, or backups
 * were never set up although there is mail.
 */
export function backupNotices(input: NoticeInput): BackupNotice[] {
  const { settings, ui, now } = input
  const notices: BackupNotice[] = []
  if (!settings) {
    if (input.hasMail)
      notices.push({
        id: 'not-set-up',
        severity: 'info',
        title: 'Backups are off',
        message:
          'Your mail is not backed up: a broken disk or a lost computer would lose it. Turn on backups in Settings.',
        action: { label: 'Set up backups', screen: 'destination' },
        signature: 'not-set-up',
      })
    return notices
  }
  if (isFailing(settings)) {
    const reason = settings.lastError as string
    notices.push({
      id: 'failing',
      severity: 'error',
      title: 'Backup failed',
      message: reason,
      action: fixFor(ui.lastErrorCode),
      signature: `failing:${settings.lastAttemptAt ?? ''}:${reason}`,
    })
  }
  const overdue = overdueSince(settings, ui, now)
  if (overdue) {
    notices.push({
      id: 'overdue',
      severity: 'warning',
      title: 'Backups are overdue',
      message: settings.lastSuccessAt
        ? `The last successful backup was ${formatRelative(overdue, now)} (${overdue.toLocaleString()}).`
        : `No backup has succeeded since automatic backups were switched on ${formatRelative(overdue, now)}.`,
      action: isFailing(settings)
        ? fixFor(ui.lastErrorCode)
        : { label: 'Back up now', screen: 'status' },
      signature: `overdue:${settings.lastSuccessAt ?? overdue.toISOString()}`,
    })
  }
  if (settings.custody === 'keychain' && !keyIsWrittenDown(ui, settings.fingerprint)) {
    notices.push({
      id: 'key-only-here',
      severity: 'warning',
      title: "Your backup key is only in this computer's keychain",
      message:
        'If this computer is lost or reinstalled, your backups cannot be opened without it. ' +
        'Write the key down (or print its recovery sheet), or keep it behind a vault password.',
      action: { label: 'Save the key', screen: 'key' },
      signature: `key-only-here:${settings.fingerprint}`,
    })
  }
  const vault = input.vaultRecord
  if (
    settings.custody === 'vault' &&
    vault &&
    vault.state !== 'ok' &&
    vault.state !== 'not-in-vault'
  ) {
    notices.push({
      id: 'vault-record',
      severity: vault.state === 'check-failed' ? 'info' : 'warning',
      title:
        vault.state === 'guessed'
          ? 'Someone tried wrong vault passwords'
          : vault.state === 'check-failed'
            ? 'The Backup Key Vault could not be checked'
            : 'Your vault password no longer recovers your key',
      message: vault.message,
      action: { label: 'Open key settings', screen: 'key' },
      signature: `vault:${vault.state}:${vault.guessesUsed ?? ''}`,
    })
  }
  return notices
}

import { describe, expect, it } from 'vitest'
import type { BackupSettings } from '../../../main/backup/backup-settings'
import { DEFAULT_RETENTION } from '../../../main/backup/destination/retention'
import {
  backupNotices,
  fixFor,
  isFailing,
  overdueSince,
  scheduleIntervalMs,
} from '../../../main/backup/manager/notices'
import type { BackupUiState } from '../../../main/backup/manager/ui-state'
import type { VaultRecordStatus } from '../../../main/vault/record-check'
import { formatDuration, formatRelative } from '../../../common/relative-time'

const now = new Date('2026-03-12T12:00:00Z')
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000).toISOString()

function settings(change: Partial<BackupSettings> = {}): BackupSettings {
  return {
    recipient: 'age1x',
    fingerprint: 'aaaa-bbbb-cccc',
    custody: 'keychain',
    keyCreatedAt: hoursAgo(24 * 30),
    vault: null,
    destination: '/backups',
    schedule: { kind: 'daily', time: '02:00' },
    retention: DEFAULT_RETENTION,
    lastSuccessAt: hoursAgo(10),
    lastAttemptAt: hoursAgo(10),
    lastError: null,
    ...change,
  }
}
const writtenDown: BackupUiState = {
  keyWrittenDown: { fingerprint: 'aaaa-bbbb-cccc', at: hoursAgo(100) },
  scheduleSince: hoursAgo(24 * 30),
  lastErrorCode: null,
}
const ids = (input: Parameters<typeof backupNotices>[0]) => backupNotices(input).map((n) => n.id)
const base = { ui: writtenDown, vaultRecord: null, hasMail: true, now }

describe('backup notices', () => {
  it('are quiet when all is well', () => {
    expect(backupNotices({ ...base, settings: settings() })).toEqual([])
  })

  it('say a backup failed, with its reason, and open the control that fixes it', () => {
    const failing = settings({
      lastAttemptAt: hoursAgo(1),
      lastError: 'The backup folder /backups does not exist.',
    })
    const [notice] = backupNotices({
      ...base,
      settings: failing,
      ui: { ...writtenDown, lastErrorCode: 'BACKUP_DESTINATION' },
    })
    expect(notice).toMatchObject({
      id: 'failing',
      severity: 'error',
      message: 'The backup folder /backups does not exist.',
      action: { label: 'Fix it', screen: 'destination' },
    })
    expect(fixFor('DISK_FULL').screen).toBe('destination')
    expect(fixFor('DESTINATION_AUTH').screen).toBe('destination')
    expect(fixFor('BACKUP_KEY_INVALID').screen).toBe('key')
    expect(fixFor('BACKUP_CHANGED_DURING')).toEqual({ label: 'Try again', screen: 'status' })
    // A success after the failure ends it.
    expect(
      isFailing(
        settings({ lastError: 'x', lastAttemptAt: hoursAgo(5), lastSuccessAt: hoursAgo(1) }),
      ),
    ).toBe(false)
  })

  it('say backups are overdue after twice the schedule’s period without a success', () => {
    expect(overdueSince(settings({ lastSuccessAt: hoursAgo(47) }), writtenDown, now)).toBeNull()
    expect(
      overdueSince(settings({ lastSuccessAt: hoursAgo(49) }), writtenDown, now)?.toISOString(),
    ).toBe(hoursAgo(49))
    const every6 = settings({
      schedule: { kind: 'interval', hours: 6 },
      lastSuccessAt: hoursAgo(13),
    })
    expect(ids({ ...base, settings: every6 })).toEqual(['overdue'])
    expect(backupNotices({ ...base, settings: every6 })[0]?.message).toMatch(/13 hours ago/)
    // Never succeeded: counted from when the schedule was switched on.
    const never = settings({ lastSuccessAt: null, lastAttemptAt: null })
    expect(
      ids({ ...base, settings: never, ui: { ...writtenDown, scheduleSince: hoursAgo(20) } }),
    ).toEqual([])
    expect(
      ids({ ...base, settings: never, ui: { ...writtenDown, scheduleSince: hoursAgo(50) } }),
    ).toEqual(['overdue'])
    // Without a schedule or a folder nothing is "due".
    expect(
      overdueSince(settings({ schedule: null, lastSuccessAt: hoursAgo(1000) }), writtenDown, now),
    ).toBeNull()
    expect(scheduleIntervalMs({ kind: 'weekly', weekday: 1, time: '01:00' })).toBe(7 * 86_400_000)
  })

  it('say when the key is only in this computer’s keychain, until it is written down', () => {
    const notWritten = { ...writtenDown, keyWrittenDown: null }
    expect(ids({ ...base, settings: settings(), ui: notWritten })).toEqual(['key-only-here'])
    // A new key needs writing down again.
    expect(ids({ ...base, settings: settings({ fingerprint: 'dddd-eeee-ffff' }) })).toEqual([
      'key-only-here',
    ])
    expect(ids({ ...base, settings: settings({ custody: 'user' }), ui: notWritten })).toEqual([])
  })

  it('pass on what the vault record check found', () => {
    const status = (state: VaultRecordStatus['state']): VaultRecordStatus => ({
      state,
      action: 'set-new-password',
      message: `vault says ${state}`,
      checkedAt: now.toISOString(),
      recordId: 'r',
      vaultUrl: 'u',
    })
    const vaulted = settings({ custody: 'vault', vault: { url: 'u', recordId: 'r' } })
    expect(ids({ ...base, settings: vaulted, vaultRecord: status('ok') })).toEqual([])
    const [destroyed] = backupNotices({
      ...base,
      settings: vaulted,
      vaultRecord: status('destroyed'),
    })
    expect(destroyed).toMatchObject({
      id: 'vault-record',
      message: 'vault says destroyed',
      action: { screen: 'key' },
    })
  })

  it('say backups are off only when there is mail to lose', () => {
    expect(ids({ ...base, settings: null })).toEqual(['not-set-up'])
    expect(ids({ ...base, settings: null, hasMail: false })).toEqual([])
  })
})

describe('times in words', () => {
  it('are relative to now, both ways', () => {
    expect(formatRelative(new Date(now.getTime() - 10_000), now)).toBe('just now')
    expect(formatRelative(new Date(hoursAgo(2)), now)).toBe('2 hours ago')
    expect(formatRelative(new Date(hoursAgo(24 * 3)), now)).toBe('3 days ago')
    expect(formatRelative(new Date(now.getTime() + 5 * 60_000), now)).toBe('in 5 minutes')
    expect(formatDuration(125)).toBe('2 minutes')
    expect(formatDuration(3 * 3600 + 600)).toBe('3 hours 10 min')
  })
})

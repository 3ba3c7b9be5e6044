import { describe, expect, it } from 'vitest'
import type { RetainedBackup as BackupEntry } from '../../main/backup/destination/retention'
import { backupName } from '../../main/backup/destination/names'
import { backupsToDelete, isoWeek } from '../../main/backup/destination/retention'
import type { Sidecar } from '../../main/backup/destination/sidecar'

function entry(iso: string, profileId = 'me', complete = true): BackupEntry {
  const createdAt = new Date(iso)
  const name = backupName(createdAt)
  const sidecar: Sidecar | null = complete
    ? {
        format: 'cairn-backup-sidecar',
        formatVersion: 1,
        file: name,
        createdAt: iso,
        appVersion: '1',
        schemaVersion: 1,
        profileId,
        size: 100,
        sha256: '0'.repeat(64),
        keyFingerprint: 'f',
        recipient: 'age1x',
        vaultId: null,
      }
    : null
  return { name, createdAt, size: 100, sidecar }
}

const names = (entries: BackupEntry[]) =>
  entries.map((e) => e.createdAt.toISOString().slice(0, 16)).sort()

describe('retention (grandfather-father-son)', () => {
  it('keeps the last N, the newest of each recent day, week and month, and deletes the rest', () => {
    const entries: BackupEntry[] = []
    // Four backups a day for 90 days.
    for (let day = 0; day < 90; day++) {
      for (const hour of [0, 6, 12, 18])
        entries.push(entry(new Date(Date.UTC(2026, 8, 1 + day, hour)).toISOString()))
    }
    const doomed = backupsToDelete(
      entries,
      'me',
      { keepLast: 3, daily: 7, weekly: 4, monthly: 3 },
      new Date('2026-12-01T00:00:00Z'),
    )
    const kept = entries.filter((e) => !doomed.includes(e))
    const keptNames = names(kept)
    // last 3
    expect(keptNames).toEqual(
      expect.arrayContaining(['2026-11-29T12:00', '2026-11-29T18:00', '2026-11-29T06:00']),
    )
    // newest of each of the last 7 days
    for (const day of [
      '2026-11-23',
      '2026-11-24',
      '2026-11-25',
      '2026-11-26',
      '2026-11-27',
      '2026-11-28',
    ]) {
      expect(keptNames).toContain(`${day}T18:00`)
      expect(keptNames).not.toContain(`${day}T06:00`)
    }
    // newest of each of the last 3 months
    expect(keptNames).toContain('2026-10-31T18:00')
    expect(keptNames).toContain('2026-09-30T18:00')
    expect(kept.length).toBeLessThan(20)
    expect(doomed.length + kept.length).toBe(entries.length)
  })

  it('never deletes the newest complete backup, even with a policy of zero', () => {
    const entries = [entry('2026-01-01T00:00:00Z'), entry('2026-02-01T00:00:00Z')]
    const doomed = backupsToDelete(entries, 'me', { keepLast: 0, daily: 0, weekly: 0, monthly: 0 })
    expect(names(doomed)).toEqual(['2026-01-01T00:00'])
  })

  it("leaves other profiles' backups and incomplete ones alone", () => {
    const mine = Array.from({ length: 10 }, (_, i) =>
      entry(`2026-03-${String(i + 1).padStart(2, '0')}T00:00:00Z`),
    )
    const theirs = Array.from({ length: 10 }, (_, i) =>
      entry(`2026-03-${String(i + 1).padStart(2, '0')}T01:00:00Z`, 'other'),
    )
    const incomplete = entry('2026-01-01T05:00:00Z', 'me', false)
    const truncated = { ...entry('2026-01-02T05:00:00Z'), size: 50 }
    const doomed = backupsToDelete([...mine, ...theirs, incomplete, truncated], 'me', {
      keepLast: 1,
      daily: 0,
      weekly: 0,
      monthly: 0,
    })
    expect(doomed).toHaveLength(9)
    expect(doomed.every((e) => e.sidecar?.profileId === 'me' && e.size === 100)).toBe(true)
  })

  it('names ISO weeks across year ends', () => {
    expect(isoWeek(new Date('2026-01-01T12:00:00Z'))).toBe('2026-W01')
    expect(isoWeek(new Date('2027-01-01T12:00:00Z'))).toBe('2026-W53')
    expect(isoWeek(new Date('2026-11-27T12:00:00Z'))).toBe('2026-W48')
  })

  it('backups dated after now (the clock was ahead) are neither deleted nor counted', () => {
    const now = new Date('2026-11-27T12:00:00Z')
    const future = ['2030-01-01', '2030-01-02', '2030-01-03'].map((d) => entry(`${d}T12:00:00Z`))
    const present = ['2026-11-25', '2026-11-26', '2026-11-27'].map((d) => entry(`${d}T11:00:00Z`))
    const doomed = backupsToDelete(
      [...future, ...present],
      'me',
      { keepLast: 3, daily: 0, weekly: 0, monthly: 0 },
      now,
    )
    expect(doomed).toEqual([])
    // Judged like the others once their time has come.
    const later = backupsToDelete(
      [...future, ...present],
      'me',
      { keepLast: 1, daily: 0, weekly: 0, monthly: 0 },
      new Date('2031-01-01T00:00:00Z'),
    )
    expect(names(later)).toEqual([
      '2026-11-25T11:00',
      '2026-11-26T11:00',
      '2026-11-27T11:00',
      '2030-01-01T12:00',
      '2030-01-02T12:00',
    ])
  })
})

import { describe, expect, it } from 'vitest'
import type { BackupNotice, BackupStatus, HistoryEntry } from '../../../main/ipc/contract'
import { deleteWarning, historyRows } from '../../../renderer/backup/history-view'
import { statusView } from '../../../renderer/backup/status-view'

const now = new Date('2026-03-12T12:00:00Z')

function status(change: Partial<BackupStatus> = {}): BackupStatus {
  return {
    configured: true,
    custody: 'keychain',
    destination: '/backups',
    schedule: { kind: 'daily', time: '02:00' },
    running: false,
    trigger: null,
    progress: null,
    nextRunAt: '2026-03-13T02:00:00Z',
    lastSuccessAt: '2026-03-12T10:00:00Z',
    lastAttemptAt: '2026-03-12T10:00:00Z',
    lastError: null,
    consecutiveFailures: 0,
    health: {
      lastBackup: { name: 'b', size: 5 * 1024 * 1024, createdAt: '2026-03-12T10:00:00Z' },
      failing: false,
      lastErrorCode: null,
      overdueSince: null,
    },
    notices: [],
    destinations: [],
    ...change,
  }
}

const notice = (
  id: BackupNotice['id'],
  screen: BackupNotice['action']['screen'],
): BackupNotice => ({
  id,
  severity: id === 'failing' ? 'error' : 'warning',
  title: id,
  message: `${id} message`,
  action: { label: 'Fix it', screen },
  signature: id,
})

describe('the backup status line', () => {
  it('says when the last backup was (relative and exact), the next one and its size', () => {
    const view = statusView(status(), now)
    expect(view.tone).toBe('ok')
    expect(view.headline).toBe('Backed up 2 hours ago')
    expect(view.lastSuccess?.relative).toBe('2 hours ago')
    expect(view.lastSuccess?.absolute).toBe(
      new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(
        new Date('2026-03-12T10:00:00Z'),
      ),
    )
    expect(view.next?.relative).toBe('in 14 hours')
    expect(view.size).toBe('5.0 MB')
    expect(view.canBackUpNow).toBe(true)
  })

  it('says backups are off, and offers to set them up', () => {
    const view = statusView(status({ configured: false, destination: null }), now)
    expect(view.tone).toBe('off')
    expect(view.problem?.action).toEqual({ label: 'Set up backups', screen: 'destination' })
    expect(view.canBackUpNow).toBe(false)
  })

  it('shows a failure with its reason and the fix its notice names', () => {
    const view = statusView(
      status({
        lastError: 'The backup folder /backups does not exist.',
        health: { ...status().health, failing: true, lastErrorCode: 'BACKUP_DESTINATION' },
        notices: [notice('failing', 'destination')],
      }),
      now,
    )
    expect(view.tone).toBe('error')
    expect(view.problem).toEqual({
      message: 'The backup folder /backups does not exist.',
      action: { label: 'Fix it', screen: 'destination' },
    })
  })

  it('warns when backups are overdue, and while one runs offers no second one', () => {
    expect(statusView(status({ notices: [notice('overdue', 'status')] }), now).tone).toBe('warning')
    const running = statusView(status({ running: true }), now)
    expect(running.tone).toBe('running')
    expect(running.canBackUpNow).toBe(false)
  })
})

describe('the history list', () => {
  const entry = (name: string, change: Partial<HistoryEntry> = {}): HistoryEntry => ({
    name,
    location: `/backups/${name}`,
    createdAt: '2026-03-11T02:00:00Z',
    size: 2048,
    profileId: 'p1',
    keyFingerprint: 'aaaa-bbbb-cccc',
    vaultId: null,
    state: 'complete',
    thisProfile: true,
    currentKey: true,
    kind: 'full',
    chainId: null,
    chainIndex: 0,
    neededBy: [],
    ...change,
  })

  it('names each row by its date, and says whose it is and its state', () => {
    const rows = historyRows(
      [
        entry('cairn-backup-20260311T020000Z.tar.zst.age'),
        entry('x2', { thisProfile: false, profileId: 'p2' }),
        entry('x3', { state: 'incomplete', currentKey: false }),
      ],
      now,
    )
    expect(rows[0]?.label).toMatch(/^the backup of /)
    expect(rows[0]?.profile).toBe('This mailbox')
    expect(rows[0]?.size).toBe('2.0 KB')
    expect(rows[1]?.profile).toBe('Another mailbox')
    expect(rows[2]?.profile).toBe('This mailbox, an earlier key')
    expect(rows[2]?.restorable).toBe(false)
    expect(rows[2]?.state).toMatch(/^Incomplete/)
  })

  it('shows chains: full, or the incremental link it is, and warns that a needed link cannot go alone', () => {
    const rows = historyRows(
      [
        entry('c', { kind: 'incremental', chainId: 'k', chainIndex: 2 }),
        entry('b', { kind: 'incremental', chainId: 'k', chainIndex: 1, neededBy: ['c'] }),
        entry('a', { chainId: 'k', neededBy: ['b', 'c'] }),
      ],
      now,
    )
    expect(rows.map((r) => r.kind)).toEqual([
      'Incremental (link 2)',
      'Incremental (link 1)',
      'Full',
    ])
    expect(rows.map((r) => r.inChain)).toEqual([true, true, false])
    expect(deleteWarning([entry('a', { chainId: 'k', neededBy: ['b'] }), entry('b')], 'a')).toMatch(
      /Later backups of its chain \(1\) need this one/,
    )
  })

  it('warns before deleting the only complete backup of this mailbox', () => {
    const only = [entry('a'), entry('b', { thisProfile: false })]
    expect(deleteWarning(only, 'a')).toMatch(/only complete backup/)
    expect(deleteWarning([...only, entry('c')], 'a')).not.toMatch(/only/)
  })
})

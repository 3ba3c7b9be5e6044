import { formatBytes } from '../../common/format'
import { formatRelative } from '../../common/relative-time'
import type { BackupNotice, BackupStatus } from '../../main/ipc/contract'

export type BackupScreen = BackupNotice['action']['screen']

export interface TimeView {
  relative: string
  absolute: string
  iso: string
}

export interface StatusView {
  tone: 'off' | 'ok' | 'warning' | 'error' | 'running'
  headline: string
  lastSuccess: TimeView | null
  next: TimeView | null
  /** The newest backup's size. */
  size: string | null
  /** What is wrong and the one thing to do about it. */
  problem: { message: string; action: { label: string; screen: BackupScreen } } | null
  canBackUpNow: boolean
}

const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

export function timeView(iso: string | null, now: Date): TimeView | null {
  if (!iso) return null
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return null
  return { relative: formatRelative(date, now), absolute: absolute.format(date), iso }
}

/**
 * The always-visible backup status, from the service's status: off, a
 * backup running, failing (its reason and the control that fixes it),
 * overdue, or fine (when the last one was, the next, and its size).
 */
export function statusView(status: BackupStatus, now: Date = new Date()): StatusView {
  const lastSuccess = timeView(status.health.lastBackup?.createdAt ?? status.lastSuccessAt, now)
  const next = timeView(status.nextRunAt, now)
  const size = status.health.lastBackup ? formatBytes(status.health.lastBackup.size) : null
  const base = { lastSuccess, next, size }
  if (!status.configured)
    return {
      ...base,
      tone: 'off',
      headline: 'Backups are off',
      problem: {
        message: 'Your mail is not backed up yet.',
        action: { label: 'Set up backups', screen: 'destination' },
      },
      canBackUpNow: false,
    }
  if (status.running)
    return { ...base, tone: 'running', headline: 'Backing up…', problem: null, canBackUpNow: false }
  if (!status.destination)
    return {
      ...base,
      tone: 'warning',
      headline: 'No backup folder chosen',
      problem: {
        message: 'Choose where your backups go.',
        action: { label: 'Choose a folder', screen: 'destination' },
      },
      canBackUpNow: false,
    }
  const failing = status.notices.find((n) => n.id === 'failing')
  if (status.health.failing && status.lastError)
    return {
      ...base,
      tone: 'error',
      headline: 'The last backup failed',
      problem: {
        message: status.lastError,
        action: failing?.action ?? { label: 'Fix it', screen: 'destination' },
      },
      canBackUpNow: true,
    }
  const overdue = status.notices.find((n) => n.id === 'overdue')
  if (overdue)
    return {
      ...base,
      tone: 'warning',
      headline: 'Backups are overdue',
      problem: { message: overdue.message, action: overdue.action },
      canBackUpNow: true,
    }
  return {
    ...base,
    tone: 'ok',
    headline: lastSuccess ? `Backed up ${lastSuccess.relative}` : 'No backup yet',
    problem: null,
    canBackUpNow: true,
  }
}

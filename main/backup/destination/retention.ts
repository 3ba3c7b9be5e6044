import { compareBackupNames } from './names.js'
import type { Sidecar } from './sidecar.js'

/** What retention needs to know of a backup (a destination's listing gives it). */
export interface RetainedBackup {
  name: string
  createdAt: Date
  size: number
  /** Null when the sidecar is missing or unreadable: such a backup is never deleted by retention. */
  sidecar: Sidecar | null
}

/**
 * How many backups to keep: the last `keepLast`, plus the newest of each of
 * the last `daily` days, `weekly` ISO weeks and `monthly` months that have
 * a backup (grandfather-father-son, counted in UTC).
 */
export interface RetentionPolicy {
  keepLast: number
  daily: number
  weekly: number
  monthly: number
}

export const DEFAULT_RETENTION: RetentionPolicy = { keepLast: 3, daily: 7, weekly: 4, monthly: 12 }

/**
 * The backups to delete. Only this profile's complete backups (a readable
 * sidecar whose size matches the file) are ever candidates; anything else in
 * the folder is left alone. The newest complete backup is always kept.
 *
 * Backups dated after `now` (made while the clock was ahead) are neither
 * deleted nor counted: counted, they would take the places of the newest
 * real backups, and each new backup would be deleted by the next run. They
 * are judged like the others once their time has come.
 *
 * Retention works on whole chains: a backup that a kept incremental link
 * needs (every earlier link of its chain, down to its full backup) is kept
 * too, and `onHeld` says which and why.
 */
export function backupsToDelete<T extends RetainedBackup>(
  entries: readonly T[],
  profileId: string,
  policy: RetentionPolicy,
  now: Date = new Date(),
  /** Told of each backup kept only because a kept link of its chain needs it (`neededBy`). */
  onHeld?: (name: string, neededBy: string) => void,
): T[] {
  const candidates = entries
    .filter(
      (e) => e.sidecar !== null && e.sidecar.profileId === profileId && e.sidecar.size === e.size,
    )
    .filter((e) => e.createdAt.getTime() <= now.getTime())
    // Newest first; within one second, the later sequence (-1, -2 …) is the newer.
    .sort(
      (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || compareBackupNames(b.name, a.name),
    )
  const keep = new Set<T>(candidates.slice(0, Math.max(1, policy.keepLast)))
  const keepNewestPer = (period: (d: Date) => string, count: number) => {
    const periods = new Set<string>()
    for (const entry of candidates) {
      if (periods.size >= count) break
      const key = period(entry.createdAt)
      if (periods.has(key)) continue
      periods.add(key)
      keep.add(entry)
    }
  }
  keepNewestPer((d) => d.toISOString().slice(0, 10), policy.daily)
  keepNewestPer(isoWeek, policy.weekly)
  keepNewestPer((d) => d.toISOString().slice(0, 7), policy.monthly)
  // Chains: a kept incremental needs every earlier link of its chain, back to its full backup.
  const byName = new Map(candidates.map((e) => [e.name, e]))
  for (const kept of [...keep]) {
    let link: T | undefined = kept
    while (link?.sidecar?.kind === 'incremental' && link.sidecar.parent) {
      const parent = byName.get(link.sidecar.parent)
      if (!parent || parent.sidecar?.chainId !== kept.sidecar?.chainId) break
      if (!keep.has(parent)) {
        keep.add(parent)
        onHeld?.(parent.name, kept.name)
      }
      link = parent
    }
  }
  return candidates.filter((e) => !keep.has(e))
}

/** ISO 8601 week, e.g. "2026-W48". */
export function isoWeek(date: Date): string {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()))
  const day = d.getUTCDay() || 7
  d.setUTCDate(d.getUTCDate() + 4 - day)
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1)
  const week = Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7)
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`
}

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
 * sidecar whose size matches the file) are ever candidates; anything else
 * in the folder is left alone. The newest complete backup is always kept,
 * and so is every name in `protect`.
 *
 * Dates come from the file names, never from the sidecars. Sidecars sit on
 * the destination, where anyone who can write may edit them, so what they
 * say of chains can only make retention keep more: a link's parent is held
 * whatever chain or profile its own sidecar names, and where a chain cannot
 * be followed (a link in between lost its sidecar, or it is unreadable)
 * every candidate back to the chain's full backup is kept. `protect` is
 * what the caller knows without them: the backup it just made and the
 * earlier links of its chain, from the profile's own record, so no
 * sidecar text (a planted "newer" backup, a link claimed to be full) can
 * make the run delete what its newest backup needs.
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
  /** Names never to delete: the backup just made and the earlier links of its chain (trusted). */
  protect: readonly string[] = [],
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
  const protectedNames = new Set(protect)
  const newest = protect[0]
  for (const entry of candidates) {
    if (!protectedNames.has(entry.name) || keep.has(entry)) continue
    keep.add(entry)
    if (newest !== undefined && entry.name !== newest) onHeld?.(entry.name, newest)
  }
  // Chains: a kept incremental needs every earlier link of its chain, back to its full backup.
  // Each backup held for a chain is walked in turn: it may be a link that needs others.
  const walk = [...keep]
  const hold = (entry: T, neededBy: T) => {
    if (keep.has(entry)) return
    keep.add(entry)
    walk.push(entry)
    onHeld?.(entry.name, neededBy.name)
  }
  const listed = new Map(entries.map((e) => [e.name, e]))
  const isCandidate = new Set<T>(candidates)
  for (let next = 0; next < walk.length; next++) {
    const kept = walk[next] as T
    if (kept.sidecar?.kind !== 'incremental') continue
    const seen = new Set<string>()
    let link: T = kept
    let gone = false
    // Parents are followed through every listed backup, not only candidates: a link that is
    // not one (another profile's sidecar, a wrong size) still leads to the links before it.
    // A sidecar naming another chain is followed too: it can only make retention keep more.
    while (link.sidecar?.kind === 'incremental' && link.sidecar.parent && !seen.has(link.name)) {
      seen.add(link.name)
      const parent = listed.get(link.sidecar.parent)
      if (!parent) {
        gone = true // deleted already: nothing before it can make the kept link restorable
        break
      }
      if (isCandidate.has(parent)) hold(parent, kept)
      link = parent
    }
    // The walk must end at the full backup the kept link names as its base. It did not when a
    // link's sidecar is missing or unreadable (it cannot say its parent), when one claims to
    // be full or loops: then every candidate from that base (or, unknown, from the oldest) up
    // to where the walk stopped is kept.
    const base = kept.sidecar.base ?? null
    if (gone || link.name === base) continue
    const from = base !== null ? listed.get(base) : undefined
    for (const entry of candidates)
      if (
        compareBackupNames(entry.name, link.name) < 0 &&
        (!from || compareBackupNames(entry.name, from.name) >= 0)
      )
        hold(entry, kept)
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

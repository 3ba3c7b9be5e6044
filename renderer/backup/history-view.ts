import { formatBytes } from '../../common/format'
import type { HistoryEntry } from '../../main/ipc/contract'
import { timeView, type TimeView } from './status-view'

export interface HistoryRow {
  name: string
  when: TimeView
  size: string
  /** Whose and with which key, in words. */
  profile: string
  state: string
  /** Names the row's controls: "Verify the backup of 12 Mar 2026, 02:00". */
  label: string
  restorable: boolean
  /** "Full" or "Incremental (link 3)": a chain starts with a full backup. */
  kind: string
  /** An incremental directly follows the row below it in its chain (drawn as one group). */
  inChain: boolean
}

/** The history list's rows, newest first, in words. */
export function historyRows(
  entries: readonly HistoryEntry[],
  now: Date = new Date(),
): HistoryRow[] {
  return entries.map((entry) => {
    const when = timeView(entry.createdAt, now) ?? {
      relative: 'unknown time',
      absolute: entry.name,
      iso: entry.createdAt,
    }
    return {
      name: entry.name,
      when,
      size: formatBytes(entry.size),
      profile: !entry.profileId
        ? 'Unknown profile'
        : entry.thisProfile
          ? entry.currentKey
            ? 'This mailbox'
            : 'This mailbox, an earlier key'
          : 'Another mailbox',
      state:
        entry.state === 'complete'
          ? 'Complete'
          : 'Incomplete: its description is missing or does not match (verify it to know more)',
      label: `the backup of ${when.absolute}`,
      restorable: entry.state === 'complete',
      kind: entry.kind === 'incremental' ? `Incremental (link ${entry.chainIndex})` : 'Full',
      inChain: entry.kind === 'incremental',
    }
  })
}

/** What deleting a backup means, for the confirmation. */
export function deleteWarning(entries: readonly HistoryEntry[], name: string): string {
  const entry = entries.find((e) => e.name === name)
  if (!entry) return 'Delete this backup?'
  const others = entries.filter(
    (e) => e.name !== name && e.thisProfile && e.state === 'complete',
  ).length
  if (entry.neededBy.length > 0)
    return `Later backups of its chain (${entry.neededBy.length}) need this one: delete them first, or leave old backups to retention.`
  const base = 'The backup file and its description are removed for good.'
  if (entry.thisProfile && entry.state === 'complete' && others === 0)
    return `${base} It is the only complete backup of this mailbox: without it, nothing could be restored.`
  return base
}

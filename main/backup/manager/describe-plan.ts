import type { RestoreSummary } from '../restore/restore.js'

/** What a restore replaces, with what: the backup's date, and message counts now and after. */
export function describeRestorePlan(summary: RestoreSummary): string {
  const backup = `the backup of ${summary.backup.createdAt} (${summary.backup.messages} messages)`
  if (!summary.live.exists)
    return `This would restore ${backup} into ${summary.live.profileDir} (a new profile), but:`
  return (
    `This would replace the profile at ${summary.live.profileDir} (${summary.live.messages ?? 'an unreadable number of'} messages` +
    `${summary.live.newestBackupAt ? `, last backed up on ${summary.live.newestBackupAt}` : ''}) with ${backup}, but:`
  )
}

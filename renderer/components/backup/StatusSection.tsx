import { statusView } from '../../backup/status-view'
import type { BackupStatusState } from '../../backup/use-backup-status'

/** The status in full, at the top of the backup settings (the bar at the bottom has "Back up now"). */
export function StatusSection({ backup }: { backup: BackupStatusState }) {
  if (!backup.status) return null
  const view = statusView(backup.status)
  return (
    <section
      className={`settings-section tone-${view.tone}`}
      data-screen="status"
      aria-labelledby="status-title"
    >
      <h3 id="status-title">Status</h3>
      <dl className="facts">
        <dt>State</dt>
        <dd>{view.headline}</dd>
        <dt>Last successful backup</dt>
        <dd>
          {view.lastSuccess ? (
            <time dateTime={view.lastSuccess.iso}>
              {view.lastSuccess.relative} ({view.lastSuccess.absolute})
            </time>
          ) : (
            'none yet'
          )}
        </dd>
        <dt>Next backup</dt>
        <dd>
          {view.next ? (
            <time dateTime={view.next.iso}>
              {view.next.relative} ({view.next.absolute})
            </time>
          ) : (
            'when you ask (automatic backups are off)'
          )}
        </dd>
        <dt>Size of the last backup</dt>
        <dd>{view.size ?? '–'}</dd>
      </dl>
      {view.problem && view.tone === 'error' && <p className="error">{view.problem.message}</p>}
    </section>
  )
}

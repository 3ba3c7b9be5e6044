import { useState } from 'react'
import { BACKUP_LABELS } from '../../../common/backup-labels'
import { call, errorMessage } from '../../api'
import { statusView, type BackupScreen } from '../../backup/status-view'
import type { BackupStatusState } from '../../backup/use-backup-status'
import { NoticeList } from './NoticeList'

/**
 * The backup status, always at the bottom of the window: when the last
 * backup was (relative, with the exact time on hover and for screen
 * readers), the next one, its size; "Back up now", and while a backup runs
 * its progress (bytes, speed, time left) with Cancel. Notices (failed,
 * overdue, key only on this computer…) sit just above it, each with the
 * action that deals with it.
 */
export function BackupStatusBar({
  state,
  onOpen,
  settingsOpen,
}: {
  state: BackupStatusState
  onOpen: (screen: BackupScreen | null) => void
  /** The Settings view is showing: its own header has the way out. */
  settingsOpen: boolean
}) {
  const [error, setError] = useState<string | null>(null)
  const { status, progress } = state
  if (!status)
    return (
      <footer className="backup-bar" aria-label="Backup status">
        <span className="muted">{state.error ?? 'Checking backups…'}</span>
      </footer>
    )
  const view = statusView(status)
  const act = async (method: 'backup.runNow' | 'backup.cancel') => {
    setError(null)
    try {
      await call(method, {})
    } catch (err) {
      setError(errorMessage(err))
    }
  }
  return (
    <div className="backup-area">
      <NoticeList notices={status.notices} onOpen={onOpen} />
      <footer className={`backup-bar tone-${view.tone}`} aria-label="Backup status">
        <span className="backup-dot" aria-hidden="true" />
        <div className="backup-summary">
          <strong>{view.headline}</strong>
          {status.running && progress ? (
            <span className="backup-progress" aria-live="polite">
              <progress max={100} value={progress.percent} aria-label="Backup progress" />
              <span>
                {progress.label}
                {progress.amount && ` · ${progress.amount}`}
                {progress.speed && ` · ${progress.speed}`}
                {progress.timeLeft && ` · ${progress.timeLeft}`}
              </span>
            </span>
          ) : (
            <span className="muted backup-times">
              {view.lastSuccess && (
                <>
                  Last:{' '}
                  <time dateTime={view.lastSuccess.iso} title={view.lastSuccess.absolute}>
                    {view.lastSuccess.absolute} ({view.lastSuccess.relative})
                  </time>
                </>
              )}
              {view.size && ` · ${view.size}`}
              {view.next && (
                <>
                  {view.lastSuccess ? ' · ' : ''}Next:{' '}
                  <time dateTime={view.next.iso} title={view.next.absolute}>
                    {view.next.relative}
                  </time>
                </>
              )}
            </span>
          )}
          {error && (
            <span className="error" role="alert">
              {error}
            </span>
          )}
        </div>
        <div className="backup-actions">
          {status.running ? (
            <button type="button" onClick={() => void act('backup.cancel')}>
              Cancel backup
            </button>
          ) : (
            <button
              type="button"
              disabled={!view.canBackUpNow}
              onClick={() => void act('backup.runNow')}
            >
              {BACKUP_LABELS.backUpNow}
            </button>
          )}
          {!settingsOpen && (
            <button
              type="button"
              onClick={() => onOpen(view.tone === 'off' ? 'destination' : null)}
            >
              {BACKUP_LABELS.settings}
            </button>
          )}
        </div>
      </footer>
    </div>
  )
}

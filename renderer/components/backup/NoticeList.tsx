import { useState } from 'react'
import type { BackupNotice } from '../../../main/ipc/contract'
import type { BackupScreen } from '../../backup/status-view'

/**
 * Backup notices in the window (in the desktop app they also arrive as
 * desktop notifications): what is the matter, in words, and a button that
 * opens the screen that deals with it. "Later" hides one until what it
 * says changes.
 */
export function NoticeList({
  notices,
  onOpen,
}: {
  notices: readonly BackupNotice[]
  onOpen: (screen: BackupScreen) => void
}) {
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set())
  const shown = notices.filter((n) => !hidden.has(n.signature))
  if (shown.length === 0) return null
  return (
    <section className="notices" aria-label="Backup notices">
      {shown.map((notice) => (
        <div
          key={notice.id}
          className={`notice notice-${notice.severity}`}
          role={notice.severity === 'error' ? 'alert' : 'status'}
        >
          <div className="notice-text">
            <strong>{notice.title}</strong>
            <span>{notice.message}</span>
          </div>
          <button type="button" className="small" onClick={() => onOpen(notice.action.screen)}>
            {notice.action.label}
          </button>
          {notice.severity !== 'error' && (
            <button
              type="button"
              className="small quiet"
              aria-label={`Remind me later: ${notice.title}`}
              onClick={() => setHidden(new Set([...hidden, notice.signature]))}
            >
              Later
            </button>
          )}
        </div>
      ))}
    </section>
  )
}

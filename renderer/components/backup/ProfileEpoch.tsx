import { useEffect, useState, type ReactNode } from 'react'
import type { RestoreDone } from '../../../main/ipc/contract'
import { on } from '../../api'
import './backup.css'

/**
 * Starts the app's screens afresh when the profile was replaced by a
 * restore (from the wizard or from `cairn restore` sent to the app): every
 * screen loads again from the restored mailbox, without reloading the page
 * or restarting the host. Says what was restored.
 */
export function ProfileEpoch({ children }: { children: ReactNode }) {
  const [epoch, setEpoch] = useState(0)
  const [restored, setRestored] = useState<RestoreDone | null>(null)
  useEffect(
    () =>
      on('restore.finished', (outcome) => {
        if (!outcome.ok) return
        setRestored(outcome.done)
        setEpoch((e) => e + 1)
      }),
    [],
  )
  return (
    <div className="profile-root">
      {restored && (
        <div className="restored-banner" role="status">
          <span>
            Restored the backup of {new Date(restored.createdAt).toLocaleString()}:{' '}
            {restored.messages.toLocaleString()} messages.
            {restored.warnings.map((w) => ` ${w}`).join('')}
          </span>
          <button type="button" className="small" onClick={() => setRestored(null)}>
            Dismiss
          </button>
        </div>
      )}
      <div key={epoch} className="epoch">
        {children}
      </div>
    </div>
  )
}

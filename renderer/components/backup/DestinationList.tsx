import { useState } from 'react'
import type { BackupStatus } from '../../../main/ipc/contract'
import { call, errorMessage } from '../../api'
import {
  connectionVerdict,
  destinationRows,
  type DestinationRow,
} from '../../backup/destination-form'

/**
 * Every destination the profile backs up to, each with its status (last
 * success, last error, next run), "Test connection", "Back up here now" and,
 * for a named one, "Remove". Each button's accessible name ends with the
 * destination's name (and never contains "Back up now", the status bar's
 * button for every destination), so each is found by its role and name.
 */
export function DestinationList({ status }: { status: BackupStatus }) {
  const rows = destinationRows(status)
  if (rows.length === 0) return null
  return (
    <ul className="destination-list" aria-label="Backup destinations">
      {rows.map((row) => (
        <DestinationItem key={row.id} row={row} running={status.running} />
      ))}
    </ul>
  )
}

function DestinationItem({ row, running }: { row: DestinationRow; running: boolean }) {
  const [verdict, setVerdict] = useState<{ ok: boolean; text: string } | null>(null)
  const [busy, setBusy] = useState(false)
  const act = async (work: () => Promise<{ ok: boolean; text: string } | null>) => {
    setBusy(true)
    try {
      setVerdict(await work())
    } catch (error) {
      setVerdict({ ok: false, text: errorMessage(error) })
    } finally {
      setBusy(false)
    }
  }
  const titleId = `destination-${row.id.replace(/[^A-Za-z0-9_-]/g, '-')}`
  return (
    <li aria-labelledby={titleId} className={`destination-item state-${row.state}`}>
      <h4 id={titleId}>
        {row.title} <span className="muted">({row.kindLabel})</span>
      </h4>
      <p className="muted small-print">{row.location}</p>
      <dl className="facts">
        <dt>Last successful backup</dt>
        <dd>{row.lastSuccess}</dd>
        <dt>Last error</dt>
        <dd className={row.lastError ? 'error' : undefined}>{row.lastError ?? 'none'}</dd>
        <dt>Next backup</dt>
        <dd>{row.next}</dd>
      </dl>
      <div className="row">
        <button
          type="button"
          disabled={busy}
          aria-label={`Test connection: ${row.title}`}
          onClick={() =>
            void act(async () => {
              setVerdict({ ok: true, text: 'Testing the connection…' })
              return connectionVerdict(await call('backup.testConnection', { destination: row.id }))
            })
          }
        >
          Test connection
        </button>
        <button
          type="button"
          disabled={busy || running}
          aria-label={`Back up here now: ${row.title}`}
          onClick={() =>
            void act(async () => {
              await call('backup.runNow', { destination: row.id })
              return { ok: true, text: 'Backup started.' }
            })
          }
        >
          Back up here now
        </button>
        {row.removable && (
          <button
            type="button"
            disabled={busy || row.state === 'running'}
            aria-label={`Remove: ${row.title}`}
            onClick={() =>
              void act(async () => {
                if (
                  !window.confirm(
                    `Forget the destination ${row.title}? Its backups stay where they are.`,
                  )
                )
                  return null
                await call('backup.removeDestination', { name: row.title })
                return null
              })
            }
          >
            Remove
          </button>
        )}
      </div>
      {verdict && (
        <p className={verdict.ok ? 'ok-text' : 'error'} role={verdict.ok ? 'status' : 'alert'}>
          {verdict.text}
        </p>
      )}
    </li>
  )
}

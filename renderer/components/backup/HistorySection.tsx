import { useEffect, useState } from 'react'
import { call, errorMessage, on } from '../../api'
import { deleteWarning, historyRows, type HistoryRow } from '../../backup/history-view'
import { keyEntryView } from '../../backup/key-entry'
import { useQuery } from '../../use-query'

interface RowResult {
  ok: boolean
  text: string
  /** The keychain had no key for it: offer a field for the digits. */
  askKey?: boolean
}

/**
 * The backups in the destination, newest first, with their date, kind
 * (full, or an incremental link of the chain below it), size, mailbox and state; each can be verified (intact without the key;
 * restorable with it), restored, or deleted after a confirmation.
 */
export function HistorySection({ onRestore }: { onRestore: (path: string) => void }) {
  const history = useQuery('backup-history', () => call('backup.history', {}))
  const { reload } = history
  const [results, setResults] = useState<Record<string, RowResult>>({})
  const [busy, setBusy] = useState<string | null>(null)
  const [keys, setKeys] = useState<Record<string, string>>({})
  const [deleting, setDeleting] = useState<HistoryRow | null>(null)
  const [fullError, setFullError] = useState<string | null>(null)

  useEffect(() => {
    const offs = [on('backup.changed', reload), on('backup.finished', reload)]
    return () => offs.forEach((off) => off())
  }, [reload])

  const entries = history.value ?? []
  const rows = historyRows(entries)
  const verify = async (
    row: HistoryRow,
    key: { source: 'none' } | { source: 'keychain' } | { source: 'digits'; text: string },
  ) => {
    setBusy(row.name)
    setResults((r) => ({ ...r, [row.name]: { ok: true, text: 'Checking…' } }))
    try {
      const { message } = await call('backup.verify', { name: row.name, key })
      setResults((r) => ({ ...r, [row.name]: { ok: true, text: message } }))
    } catch (err) {
      const missing = (err as { code?: string }).code === 'KEY_MISSING'
      setResults((r) => ({
        ...r,
        [row.name]: { ok: false, text: errorMessage(err), askKey: missing },
      }))
    } finally {
      setBusy(null)
    }
  }
  const remove = async (row: HistoryRow) => {
    setDeleting(null)
    try {
      await call('backup.delete', { name: row.name })
      reload()
    } catch (err) {
      setResults((r) => ({ ...r, [row.name]: { ok: false, text: errorMessage(err) } }))
    }
  }

  return (
    <section className="settings-section" data-screen="history" aria-labelledby="history-title">
      <h3 id="history-title">History</h3>
      <p className="muted">
        After a full backup, each backup holds only what changed since the one before. Cairn starts
        again with a full backup by itself every 7 backups or 7 days, after the mailbox is
        compacted, or when a backup the next one needs is missing.{' '}
        <button
          type="button"
          className="small"
          onClick={() => {
            setFullError(null)
            call('backup.runNow', { full: true }).catch((err: unknown) =>
              setFullError(errorMessage(err)),
            )
          }}
        >
          Full backup now
        </button>
      </p>
      {fullError && (
        <p className="error" role="alert">
          {fullError}
        </p>
      )}
      {history.error && !history.value && (
        <p className="error" role="alert">
          {history.error}
        </p>
      )}
      {history.value && rows.length === 0 && (
        <p className="muted">No backups in the backup folder yet.</p>
      )}
      {rows.length > 0 && (
        <table className="history" aria-labelledby="history-title">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Kind</th>
              <th scope="col">Size</th>
              <th scope="col">Mailbox</th>
              <th scope="col">State</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => {
              const result = results[row.name]
              const typed = keys[row.name] ?? ''
              const entry = entries.find((e) => e.name === row.name)
              return (
                <tr key={row.name} className={row.inChain ? 'chain-link' : 'chain-full'}>
                  <td>
                    <time dateTime={row.when.iso}>{row.when.absolute}</time>
                    <span className="muted block">{row.when.relative}</span>
                  </td>
                  <td>{row.kind}</td>
                  <td>{row.size}</td>
                  <td>{row.profile}</td>
                  <td>
                    {row.state}
                    {result && (
                      <span
                        className={`block ${result.ok ? 'ok-text' : 'error'}`}
                        role={result.ok ? 'status' : 'alert'}
                      >
                        {result.text}
                      </span>
                    )}
                    {result?.askKey && (
                      <span className="block">
                        <input
                          type="text"
                          aria-label={`Backup key (64 digits) for ${row.label}`}
                          value={typed}
                          autoComplete="off"
                          spellCheck={false}
                          onChange={(event) =>
                            setKeys({
                              ...keys,
                              [row.name]: keyEntryView(event.target.value).display,
                            })
                          }
                        />
                        <button
                          type="button"
                          className="small"
                          disabled={!keyEntryView(typed).ok || busy !== null}
                          onClick={() => void verify(row, { source: 'digits', text: typed })}
                        >
                          Check with this key
                        </button>
                      </span>
                    )}
                  </td>
                  <td className="row-actions">
                    <button
                      type="button"
                      className="small"
                      aria-label={`Verify ${row.label}`}
                      disabled={busy !== null}
                      onClick={() => void verify(row, { source: 'none' })}
                    >
                      Verify
                    </button>
                    <button
                      type="button"
                      className="small"
                      aria-label={`Check that ${row.label} restores`}
                      disabled={busy !== null}
                      onClick={() => void verify(row, { source: 'keychain' })}
                    >
                      Check it restores
                    </button>
                    {row.restorable && entry && (
                      <button
                        type="button"
                        className="small"
                        aria-label={`Restore ${row.label}`}
                        onClick={() => onRestore(entry.location)}
                      >
                        Restore…
                      </button>
                    )}
                    <button
                      type="button"
                      className="small danger"
                      aria-label={`Delete ${row.label}`}
                      onClick={() => setDeleting(row)}
                    >
                      Delete…
                    </button>
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
      {deleting && (
        <div className="dialog-backdrop">
          <div
            className="dialog"
            role="alertdialog"
            aria-modal="true"
            aria-labelledby="delete-title"
            aria-describedby="delete-detail"
          >
            <h2 id="delete-title">Delete {deleting.label}?</h2>
            <p id="delete-detail">{deleteWarning(entries, deleting.name)}</p>
            <div className="dialog-actions">
              <button type="button" autoFocus onClick={() => setDeleting(null)}>
                Keep it
              </button>
              <button
                type="button"
                className="danger primary"
                onClick={() => void remove(deleting)}
              >
                Delete backup
              </button>
            </div>
          </div>
        </div>
      )}
    </section>
  )
}

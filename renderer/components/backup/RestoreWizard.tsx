import { useEffect, useReducer, useRef, useState } from 'react'
import { BACKUP_LABELS } from '../../../common/backup-labels'
import type { AppInfo } from '../../../main/ipc/contract'
import { call, errorMessage, on } from '../../api'

const errorCode = (error: unknown) => (error as { code?: string }).code
import { keyEntryView } from '../../backup/key-entry'
import { ProgressTracker, RESTORE_PHASES, type ProgressView } from '../../backup/progress-view'
import {
  candidateLabel,
  initialWizard,
  keySource,
  planNeedsYes,
  planSummaryText,
  replacementText,
  restoreReadiness,
  searchReport,
  selectedCandidate,
  wizardReducer,
} from '../../backup/restore-wizard'
import './backup.css'

/**
 * Restore from a backup, from the first-run screen or from Settings. It
 * looks for backups by itself (the default folder, the profile's folder,
 * the last ones used) and suggests the newest; the key comes from the
 * keychain when it is there, else the user types the 64 digits (checked as
 * typed) or the vault password. "Restore" checks everything first; when
 * mail would be replaced or something needs a yes, it says what and asks.
 * Then the app swaps the profile and opens the restored mailbox.
 *
 * From a new computer with the backup in the default folder that is: open
 * Cairn → "Restore from a backup" → type the key → "Restore".
 */
export function RestoreWizard({
  info,
  initialPath,
  onClose,
}: {
  info: AppInfo
  initialPath?: string
  onClose: () => void
}) {
  const [state, dispatch] = useReducer(wizardReducer, initialWizard)
  const [where, setWhere] = useState('')
  const [progress, setProgress] = useState<ProgressView | null>(null)
  const tracker = useRef(new ProgressTracker(RESTORE_PHASES))
  const keyField = useRef<HTMLInputElement>(null)

  const search = async (chosen?: string) => {
    dispatch({ type: 'searching' })
    try {
      const found = await call('restore.find', chosen ? { chosen } : {})
      dispatch({
        type: 'found',
        found,
        preferred: chosen && found.backups.some((b) => b.path === chosen) ? chosen : undefined,
      })
    } catch (error) {
      dispatch({ type: 'failed', message: errorMessage(error), code: errorCode(error) })
    }
  }

  useEffect(() => {
    void search(initialPath)
    const off = on('restore.progress', (p) =>
      setProgress(tracker.current.push({ ...p, at: performance.now() })),
    )
    return () => {
      off()
      // A plan left waiting (the wizard closed) is dropped, with its unpacked files.
      void call('restore.discard', {}).catch(() => undefined)
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps -- searched once, on opening
  }, [])

  // The key field gets the focus as soon as there is a backup to open.
  useEffect(() => {
    if (state.step === 'choose' && state.keyMode === 'digits') keyField.current?.focus()
  }, [state.step, state.keyMode])

  const execute = async (confirm: string[]) => {
    dispatch({ type: 'restoring' })
    try {
      const done = await call('restore.execute', {
        confirm: confirm as (
          | 'metadata-mismatch'
          | 'older-than-newest-backup'
          | 'other-profile'
          | 'secrets-not-restorable'
        )[],
      })
      dispatch({ type: 'restored', done })
      // The app opens the restored mailbox (App listens for restore.finished).
    } catch (error) {
      dispatch({ type: 'failed', message: errorMessage(error), code: errorCode(error) })
    }
  }

  const restore = async () => {
    const candidate = selectedCandidate(state)
    if (!candidate) return
    tracker.current.reset()
    setProgress(null)
    dispatch({ type: 'planning' })
    try {
      const plan = await call('restore.start', { path: candidate.path, key: keySource(state) })
      dispatch({ type: 'planned', plan })
      if (!planNeedsYes(plan)) await execute([])
    } catch (error) {
      dispatch({ type: 'failed', message: errorMessage(error), code: errorCode(error) })
    }
  }

  const candidate = selectedCandidate(state)
  const ready = restoreReadiness(state)
  const key = keyEntryView(state.keyText)
  const working = state.step === 'planning' || state.step === 'restoring'

  return (
    <div className="dialog-backdrop">
      <div className="dialog wide" role="dialog" aria-modal="true" aria-labelledby="restore-title">
        <h2 id="restore-title">{BACKUP_LABELS.restoreFromBackup}</h2>

        {state.step === 'finding' && <p role="status">Looking for your backups…</p>}

        {state.step === 'choose' && state.found && (
          <>
            {state.found.backups.length > 0 ? (
              <fieldset className="choices backups-found">
                <legend>Backups found</legend>
                {state.found.backups.slice(0, 12).map((b) => (
                  <label key={b.path} className="choice block">
                    <input
                      type="radio"
                      name="restore-backup"
                      checked={state.selected === b.path}
                      onChange={() => dispatch({ type: 'select', path: b.path })}
                    />
                    <span>
                      {candidateLabel(b)}
                      <span className="muted small-print block">{b.folder}</span>
                    </span>
                  </label>
                ))}
              </fieldset>
            ) : (
              <div role="status">
                <p>
                  <strong>No backups were found.</strong> Cairn looked in:
                </p>
                <ul className="small-print">
                  {searchReport(state.found).map((line) => (
                    <li key={line}>{line}</li>
                  ))}
                </ul>
                <p>Give the backup file, or the folder that holds your backups, below.</p>
              </div>
            )}
            <details open={state.found.backups.length === 0} className="elsewhere">
              <summary>Look somewhere else</summary>
              <div className="row">
                <label className="field grow">
                  <span>{BACKUP_LABELS.backupLocation}</span>
                  <input
                    type="text"
                    value={where}
                    spellCheck={false}
                    autoComplete="off"
                    onChange={(event) => setWhere(event.target.value)}
                  />
                </label>
                <button
                  type="button"
                  disabled={!where.trim()}
                  onClick={() => void search(where.trim())}
                >
                  Look there
                </button>
                {info.capabilities.pickBackupLocation && (
                  <button
                    type="button"
                    onClick={async () => {
                      const picked = await call('app.pickBackupLocation', { purpose: 'restore' })
                      if (picked) {
                        setWhere(picked)
                        void search(picked)
                      }
                    }}
                  >
                    Choose…
                  </button>
                )}
              </div>
            </details>

            {candidate && (
              <>
                <p className="replace-note">{replacementText(state.found, candidate)}</p>
                {state.keyMode === 'keychain' ? (
                  <p className="muted">
                    The key for this backup is in this computer&apos;s keychain.{' '}
                    <button
                      type="button"
                      className="link"
                      onClick={() => dispatch({ type: 'key-mode', mode: 'digits' })}
                    >
                      Use another key
                    </button>
                  </p>
                ) : (
                  <fieldset className="choices">
                    <legend>Open it with</legend>
                    <div className="row">
                      <label className="choice">
                        <input
                          type="radio"
                          name="key-mode"
                          checked={state.keyMode === 'digits'}
                          onChange={() => dispatch({ type: 'key-mode', mode: 'digits' })}
                        />
                        My 64-digit key
                      </label>
                      <label className="choice">
                        <input
                          type="radio"
                          name="key-mode"
                          checked={state.keyMode === 'vault'}
                          onChange={() => dispatch({ type: 'key-mode', mode: 'vault' })}
                        />
                        My vault password
                      </label>
                    </div>
                    {state.keyMode === 'digits' && (
                      <label className="field">
                        <span>{BACKUP_LABELS.keyField}</span>
                        <input
                          ref={keyField}
                          type="text"
                          className="key-input"
                          value={state.keyText}
                          autoComplete="off"
                          spellCheck={false}
                          aria-invalid={key.problem ? true : undefined}
                          aria-describedby="key-check"
                          onChange={(event) =>
                            dispatch({ type: 'key-text', text: event.target.value })
                          }
                        />
                        <span
                          id="key-check"
                          className={key.problem ? 'error' : 'muted'}
                          aria-live="polite"
                        >
                          {key.problem ?? (key.ok ? 'The key is complete.' : key.progress)}
                        </span>
                      </label>
                    )}
                    {state.keyMode === 'vault' && (
                      <>
                        <label className="field">
                          <span>Vault address</span>
                          <input
                            type="url"
                            value={state.vaultUrl}
                            spellCheck={false}
                            onChange={(event) =>
                              dispatch({ type: 'vault-url', url: event.target.value })
                            }
                          />
                        </label>
                        <label className="field">
                          <span>{BACKUP_LABELS.vaultPasswordField}</span>
                          <input
                            type="password"
                            value={state.vaultPassword}
                            autoComplete="current-password"
                            aria-describedby="vault-note"
                            onChange={(event) =>
                              dispatch({ type: 'vault-password', password: event.target.value })
                            }
                          />
                        </label>
                        <p id="vault-note" className="muted small-print">
                          {candidate.vaultId
                            ? `Vault record ${candidate.vaultId} (from the backup's description). `
                            : 'This backup names no vault record. '}
                          Each wrong password counts: after a few the vault makes you wait, and
                          after 10 it destroys the key.
                        </p>
                      </>
                    )}
                  </fieldset>
                )}
              </>
            )}
          </>
        )}

        {working && (
          <div className="restore-progress" aria-live="polite">
            <progress max={100} value={progress?.percent ?? 0} aria-label="Restore progress" />
            <p>
              {progress?.label ?? 'Starting…'}
              {progress?.amount && ` · ${progress.amount}`}
              {progress?.timeLeft && ` · ${progress.timeLeft}`}
            </p>
          </div>
        )}

        {state.step === 'confirm' && state.plan && (
          <div role="group" aria-labelledby="confirm-title">
            <h3 id="confirm-title">Before anything changes</h3>
            <p>{planSummaryText(state.plan)}</p>
            {state.plan.confirmations.map((c) => (
              <p key={c.kind} className="warning-text">
                {c.message}
              </p>
            ))}
            <p className="muted">Your current mailbox is kept until the restored one has opened.</p>
          </div>
        )}

        {state.step === 'done' && state.done && (
          <p role="status">
            Restored the backup of {new Date(state.done.createdAt).toLocaleString()}:{' '}
            {state.done.messages.toLocaleString()} messages. Opening your mailbox…
          </p>
        )}

        {state.error && (
          <p className="error" role="alert">
            {state.error}
          </p>
        )}

        <div className="dialog-actions">
          {state.step === 'confirm' && state.plan ? (
            <>
              <button
                type="button"
                onClick={() =>
                  void call('restore.discard', {}).then(() => dispatch({ type: 'back' }))
                }
              >
                Back
              </button>
              <button
                type="button"
                className="primary danger"
                onClick={() => void execute(state.plan?.confirmations.map((c) => c.kind) ?? [])}
              >
                {state.plan.confirmations.length > 0 ? 'Restore anyway' : 'Replace my mailbox'}
              </button>
            </>
          ) : (
            <>
              <button type="button" disabled={state.step === 'restoring'} onClick={onClose}>
                {state.step === 'done' ? 'Close' : 'Cancel'}
              </button>
              {(state.step === 'choose' || working) && (
                <button
                  type="button"
                  className="primary"
                  disabled={!ready.ready || working}
                  aria-describedby={ready.reason ? 'restore-why' : undefined}
                  onClick={() => void restore()}
                >
                  {BACKUP_LABELS.restore}
                </button>
              )}
            </>
          )}
        </div>
        {state.step === 'choose' && ready.reason && candidate && (
          <p id="restore-why" className="visually-hidden">
            {ready.reason}
          </p>
        )}
      </div>
    </div>
  )
}

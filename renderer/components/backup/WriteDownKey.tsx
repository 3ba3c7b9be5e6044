import { useEffect, useRef, useState } from 'react'
import type { RevealedKey } from '../../../main/ipc/contract'
import { call, errorMessage } from '../../api'
import { challengeFields, challengeReady } from '../../backup/write-down'
import { printSheet, RecoverySheetView } from './RecoverySheetView'

/**
 * Write the key down: its 64 digits in 16 numbered groups, a printable
 * recovery sheet, and a check that the user has them (they type a few
 * asked groups back). A new key is saved only once checked; a key kept by
 * the user alone is shown this once.
 */
export function WriteDownKey({
  newKey,
  keepInKeychain,
  onDone,
  onCancel,
}: {
  newKey: boolean
  keepInKeychain: boolean
  onDone: () => void
  onCancel: () => void
}) {
  const [revealed, setRevealed] = useState<RevealedKey | null>(null)
  const [answers, setAnswers] = useState<string[]>([])
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const pending = useRef<string | null>(null)

  useEffect(() => {
    let stale = false
    call('backupKey.reveal', { newKey }).then(
      (value) => {
        if (stale) {
          void call('backupKey.cancelReveal', { pendingId: value.pendingId })
          return
        }
        pending.current = value.pendingId
        setRevealed(value)
        setAnswers(value.challenge.map(() => ''))
      },
      (err: unknown) => !stale && setError(errorMessage(err)),
    )
    return () => {
      stale = true
      // Leaving without confirming: the key waiting in memory is dropped.
      if (pending.current) void call('backupKey.cancelReveal', { pendingId: pending.current })
    }
  }, [newKey])

  const fields = revealed ? challengeFields(revealed.challenge, answers) : []
  const confirm = async () => {
    if (!revealed) return
    setBusy(true)
    setError(null)
    try {
      await call('backupKey.confirmWrittenDown', {
        pendingId: revealed.pendingId,
        answers,
        keepInKeychain,
      })
      pending.current = null
      onDone()
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="write-down" role="group" aria-labelledby="write-down-title">
      <h4 id="write-down-title">{newKey ? 'Your new backup key' : 'Your backup key'}</h4>
      {!revealed && !error && <p className="muted">Getting the key…</p>}
      {revealed && (
        <>
          <p>
            Write these 64 digits down, or print the recovery sheet, and keep it somewhere safe away
            from this computer: with it, your backups can be restored on any computer.
            {newKey && !keepInKeychain && ' Cairn keeps no copy and will not show them again.'}
          </p>
          <ol className="key-groups" aria-label="Backup key, 16 groups of 4 digits">
            {revealed.groups.map((group, index) => (
              <li key={index}>
                <span className="group-number" aria-hidden="true">
                  {index + 1}
                </span>
                <code>{group}</code>
              </li>
            ))}
          </ol>
          <p className="muted">
            Fingerprint {revealed.fingerprint} (it names the key; it is not the key).
          </p>
          <button type="button" onClick={printSheet}>
            Print recovery sheet
          </button>
          <fieldset className="challenge">
            <legend>To check that you have it, type these groups of your key</legend>
            {fields.map((field, index) => (
              <label key={field.group} className="field inline">
                <span>{field.label}</span>
                <input
                  type="text"
                  inputMode="text"
                  autoComplete="off"
                  spellCheck={false}
                  maxLength={9}
                  value={answers[index] ?? ''}
                  aria-invalid={field.problem ? true : undefined}
                  onChange={(event) => {
                    const next = [...answers]
                    next[index] = event.target.value
                    setAnswers(next)
                    setError(null)
                  }}
                />
                {field.problem && <span className="error">{field.problem}</span>}
              </label>
            ))}
          </fieldset>
          <RecoverySheetView sheet={revealed.sheet} printOnly />
        </>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="row">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button
          type="button"
          className="primary"
          disabled={!revealed || busy || !challengeReady(fields)}
          onClick={() => void confirm()}
        >
          Confirm I have the key
        </button>
      </div>
    </div>
  )
}

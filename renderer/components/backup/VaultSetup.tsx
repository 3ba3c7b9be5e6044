import { useEffect, useState } from 'react'
import type { RecoverySheetContent } from '../../../main/ipc/contract'
import { call, errorMessage } from '../../api'
import {
  loadStrengthChecker,
  vaultPasswordProblem,
  type StrengthChecker,
} from '../../backup/password-strength'
import { printSheet, RecoverySheetView } from './RecoverySheetView'

/**
 * Keep the key behind a password in a Backup Key Vault: the vault's
 * address, the password twice with a strength meter, and, in plain words,
 * what the vault does with wrong passwords. The password stays on this
 * computer (the vault sees only OPAQUE messages).
 */
export function VaultSetup({
  newKey,
  defaultUrl,
  onDone,
  onCancel,
}: {
  newKey: boolean
  defaultUrl: string | null
  onDone: () => void
  onCancel: () => void
}) {
  const [url, setUrl] = useState(defaultUrl ?? '')
  const [password, setPassword] = useState('')
  const [again, setAgain] = useState('')
  const [checker, setChecker] = useState<StrengthChecker | null>(null)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [done, setDone] = useState<{ recordId: string; sheet: RecoverySheetContent } | null>(null)

  useEffect(() => {
    let stale = false
    void loadStrengthChecker().then((check) => !stale && setChecker(() => check))
    return () => {
      stale = true
    }
  }, [])

  const strength = checker && password ? checker(password, [url]) : null
  const problem = vaultPasswordProblem(password, again, strength)
  const submit = async () => {
    setBusy(true)
    setError(null)
    try {
      const result = await call('backupKey.setUpVault', { url: url.trim(), password, newKey })
      setPassword('')
      setAgain('')
      setDone(result)
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }

  if (done)
    return (
      <div className="vault-setup" role="group" aria-labelledby="vault-title">
        <h4 id="vault-title">Your key is behind your vault password</h4>
        <p role="status">
          Vault record <strong>{done.recordId}</strong>. Write it on your recovery sheet (or print
          the sheet): with this record, the vault&apos;s address and your password, Cairn gets the
          key back on any computer.
        </p>
        <div className="row">
          <button type="button" onClick={printSheet}>
            Print recovery sheet
          </button>
          <button type="button" className="primary" onClick={onDone}>
            Done
          </button>
        </div>
        <RecoverySheetView sheet={done.sheet} printOnly />
      </div>
    )

  return (
    <div className="vault-setup" role="group" aria-labelledby="vault-title">
      <h4 id="vault-title">Keep the key behind a vault password</h4>
      <label className="field">
        <span>Vault address</span>
        <input
          type="url"
          value={url}
          placeholder="https://vault.example.org"
          spellCheck={false}
          autoComplete="url"
          onChange={(event) => setUrl(event.target.value)}
        />
      </label>
      <label className="field">
        <span>Vault password</span>
        <input
          type="password"
          value={password}
          autoComplete="new-password"
          aria-describedby="vault-strength"
          onChange={(event) => setPassword(event.target.value)}
        />
      </label>
      <div id="vault-strength" className="strength" aria-live="polite">
        <meter
          min={0}
          max={4}
          low={2}
          high={3}
          optimum={4}
          value={strength?.score ?? 0}
          aria-label="Password strength"
        />
        <span>
          {strength
            ? `${strength.label}${strength.advice ? `: ${strength.advice}` : ''}`
            : password
              ? 'Checking…'
              : 'Strength shows as you type.'}
        </span>
      </div>
      <label className="field">
        <span>Type the password again</span>
        <input
          type="password"
          value={again}
          autoComplete="new-password"
          onChange={(event) => setAgain(event.target.value)}
        />
      </label>
      <div className="plain-words">
        <p>
          <strong>What the vault does with wrong passwords.</strong> It allows 10 wrong passwords in
          all. After the third wrong one in a row it makes you wait before the next try (15 minutes,
          then twice as long after each further wrong one), and a right password starts the count
          again. After the 10th wrong password the vault destroys your key for good: your backups
          can then only be opened with the 64-digit key, if you wrote it down.
        </p>
        <p>
          Your password never leaves this computer, so the vault cannot read it, and nobody can
          reset it for you: choose one you will still remember years from now.
        </p>
      </div>
      {password && problem && (
        <p className="error" role="alert">
          {problem}
        </p>
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
          disabled={busy || problem !== null || url.trim().length === 0}
          onClick={() => void submit()}
        >
          {busy ? 'Talking to the vault…' : 'Keep the key behind this password'}
        </button>
      </div>
    </div>
  )
}

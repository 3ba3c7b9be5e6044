import { useEffect, useState } from 'react'
import type { KeyView, RecoverySheetContent } from '../../../main/ipc/contract'
import { call, errorMessage, on } from '../../api'
import { useQuery } from '../../use-query'
import { ChangeKey } from './ChangeKey'
import { printSheet, RecoverySheetView } from './RecoverySheetView'
import { VaultSetup } from './VaultSetup'
import { WriteDownKey } from './WriteDownKey'

const KEPT: Record<NonNullable<KeyView['custody']>, string> = {
  keychain: "In this computer's keychain",
  user: 'Written down by you (not stored on this computer)',
  vault: "Behind your vault password (and in this computer's keychain)",
}

type Mode = null | 'write-down' | 'vault' | 'new-key'

/**
 * The backup key: its fingerprint, where it is kept, whether it is written
 * down, the vault record's state; writing it down, the recovery sheet,
 * moving it behind a vault password, and a new key.
 */
export function KeySection() {
  const key = useQuery('backup-key', () => call('backupKey.view', {}))
  const { reload } = key
  const [mode, setMode] = useState<Mode>(null)
  const [sheet, setSheet] = useState<RecoverySheetContent | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => on('backup.changed', reload), [reload])

  const view = key.value
  const finish = () => {
    setMode(null)
    reload()
  }
  const print = async () => {
    setError(null)
    try {
      setSheet(await call('backupKey.sheet', {}))
      // Printed once the sheet is on the page.
      setTimeout(printSheet, 0)
    } catch (err) {
      setError(errorMessage(err))
    }
  }

  return (
    <section className="settings-section" data-screen="key" aria-labelledby="key-title">
      <h3 id="key-title">Backup key</h3>
      {key.error && !view && <p className="error">{key.error}</p>}
      {view && view.custody && (
        <>
          <dl className="facts">
            <dt>Fingerprint</dt>
            <dd>
              <code>{view.fingerprint}</code>
            </dd>
            <dt>Kept</dt>
            <dd>{KEPT[view.custody]}</dd>
            <dt>Written down</dt>
            <dd>
              {view.writtenDown
                ? 'Yes, you checked it'
                : view.custody === 'user'
                  ? 'It was shown to you once'
                  : 'Not yet'}
            </dd>
            {view.vault && (
              <>
                <dt>Vault record</dt>
                <dd>
                  <code>{view.vault.recordId}</code> at {view.vault.url}
                </dd>
              </>
            )}
          </dl>
          {view.vaultStatus && view.vaultStatus.state !== 'ok' && (
            <p className="warning-text" role="status">
              {view.vaultStatus.message}
            </p>
          )}
          {view.keychainProblem && <p className="warning-text">{view.keychainProblem}</p>}
          {mode === null && (
            <div className="row">
              {view.inKeychain && (
                <button type="button" onClick={() => setMode('write-down')}>
                  Write down the key
                </button>
              )}
              {view.inKeychain && (
                <button type="button" onClick={() => void print()}>
                  Print recovery sheet
                </button>
              )}
              {view.inKeychain && view.custody !== 'vault' && (
                <button type="button" onClick={() => setMode('vault')}>
                  Keep the key behind a vault password
                </button>
              )}
              <button type="button" onClick={() => setMode('new-key')}>
                Create a new key…
              </button>
            </div>
          )}
        </>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {mode === 'write-down' && (
        <WriteDownKey
          newKey={false}
          keepInKeychain
          onDone={finish}
          onCancel={() => setMode(null)}
        />
      )}
      {mode === 'vault' && view && (
        <VaultSetup
          newKey={false}
          defaultUrl={view.defaultVaultUrl}
          onDone={finish}
          onCancel={() => setMode(null)}
        />
      )}
      {mode === 'new-key' && view && (
        <ChangeKey view={view} onDone={finish} onCancel={() => setMode(null)} />
      )}
      {sheet && mode === null && <RecoverySheetView sheet={sheet} printOnly />}
    </section>
  )
}

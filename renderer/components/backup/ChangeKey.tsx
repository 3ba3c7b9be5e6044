import { useState } from 'react'
import type { KeyView } from '../../../main/ipc/contract'
import { call, errorMessage } from '../../api'
import { useQuery } from '../../use-query'
import { CustodyChoice, type Custody } from './CustodyChoice'
import { VaultSetup } from './VaultSetup'
import { WriteDownKey } from './WriteDownKey'

/**
 * A new backup key, after saying what it means for the backups made so
 * far: they stay encrypted to the current key and still need it.
 */
export function ChangeKey({
  view,
  onDone,
  onCancel,
}: {
  view: KeyView
  onDone: () => void
  onCancel: () => void
}) {
  const [custody, setCustody] = useState<Custody>('keychain')
  const [stage, setStage] = useState<'explain' | 'write-down' | 'vault'>('explain')
  const [error, setError] = useState<string | null>(null)
  const history = useQuery('backup-history-for-key', () => call('backup.history', {}))
  const older = (history.value ?? []).filter((e) => e.thisProfile && e.currentKey).length

  const proceed = async () => {
    setError(null)
    if (custody === 'user') return setStage('write-down')
    if (custody === 'vault') return setStage('vault')
    try {
      await call('backupKey.createInKeychain', {})
      onDone()
    } catch (err) {
      setError(errorMessage(err))
    }
  }

  if (stage === 'write-down')
    return <WriteDownKey newKey keepInKeychain={false} onDone={onDone} onCancel={onCancel} />
  if (stage === 'vault')
    return (
      <VaultSetup newKey defaultUrl={view.defaultVaultUrl} onDone={onDone} onCancel={onCancel} />
    )
  return (
    <div className="change-key" role="group" aria-labelledby="change-key-title">
      <h4 id="change-key-title">Create a new backup key</h4>
      <div className="plain-words" role="note">
        <p>
          New backups will be encrypted to the new key. The backups made so far
          {history.value ? ` (${older} in your backup folder)` : ''} stay encrypted to your current
          key, <code>{view.fingerprint}</code>: restoring one of them still needs that key.
        </p>
        <p>
          {view.inKeychain
            ? "Your current key stays in this computer's keychain, so they can still be restored here. "
            : ''}
          Keep your current key&apos;s recovery sheet until those backups are gone: the retention
          rules delete them over time as new ones are made.
        </p>
      </div>
      <CustodyChoice value={custody} onChange={setCustody} legend="Where the new key is kept" />
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="row">
        <button type="button" onClick={onCancel}>
          Keep the current key
        </button>
        <button type="button" className="primary" onClick={() => void proceed()}>
          Create the new key
        </button>
      </div>
    </div>
  )
}

import { useState } from 'react'
import type { AppInfo, BackupSettingsView } from '../../../main/ipc/contract'
import { call, errorMessage } from '../../api'
import {
  DEFAULT_SCHEDULE_FORM,
  policyFromForm,
  type ScheduleForm,
} from '../../backup/schedule-form'
import { CustodyChoice, type Custody } from './CustodyChoice'
import { FolderEditor } from './DestinationSection'
import { ScheduleFields } from './ScheduleFields'
import { VaultSetup } from './VaultSetup'
import { WriteDownKey } from './WriteDownKey'

type Destination = NonNullable<BackupSettingsView['destination']>

/**
 * Turning backups on: where (the default folder is offered), when (daily
 * at 02:00 unless changed) and where the key is kept. The folder is checked
 * before a key is made, so a folder that cannot take backups changes
 * nothing.
 */
export function SetUpBackups({
  info,
  settings,
  onDone,
}: {
  info: AppInfo
  settings: BackupSettingsView
  onDone: () => void
}) {
  const [destination, setDestination] = useState<Destination>(
    settings.destination ?? { kind: 'folder', path: settings.defaultFolder },
  )
  const [schedule, setSchedule] = useState<ScheduleForm>(DEFAULT_SCHEDULE_FORM)
  const [custody, setCustody] = useState<Custody>('keychain')
  const [stage, setStage] = useState<'form' | 'write-down' | 'vault'>('form')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const policy = policyFromForm(schedule)

  const saveSettings = async () => {
    if (!policy.ok) return
    await call('backup.configure', { destination, schedule: policy.policy })
    onDone()
  }
  const finishWith = async () => {
    try {
      await saveSettings()
    } catch (err) {
      setStage('form')
      setError(errorMessage(err))
    }
  }
  const turnOn = async () => {
    setBusy(true)
    setError(null)
    try {
      await call('backup.checkDestination', { destination })
      if (custody === 'keychain') {
        await call('backupKey.createInKeychain', {})
        await saveSettings()
      } else setStage(custody === 'user' ? 'write-down' : 'vault')
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }

  if (stage === 'write-down')
    return (
      <WriteDownKey
        newKey
        keepInKeychain={false}
        onDone={() => void finishWith()}
        onCancel={() => setStage('form')}
      />
    )
  if (stage === 'vault')
    return (
      <VaultSetup
        newKey
        defaultUrl={settings.defaultVaultUrl}
        onDone={() => void finishWith()}
        onCancel={() => setStage('form')}
      />
    )
  return (
    <section className="settings-section" data-screen="destination" aria-labelledby="setup-title">
      <h3 id="setup-title">Turn on backups</h3>
      <p>
        Cairn backs up your mailbox, encrypted so that only your backup key opens it, to a folder
        you choose, on a schedule.
      </p>
      <FolderEditor
        info={info}
        current={destination}
        defaultFolder={settings.defaultFolder}
        onChange={setDestination}
      />
      <ScheduleFields form={schedule} onChange={setSchedule} />
      {!policy.ok && (
        <p className="error" role="alert">
          {policy.problem}
        </p>
      )}
      <CustodyChoice value={custody} onChange={setCustody} />
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button
        type="button"
        className="primary"
        disabled={busy || !policy.ok}
        onClick={() => void turnOn()}
      >
        Turn on backups
      </button>
    </section>
  )
}

import { useState } from 'react'
import type { AppInfo, BackupSettingsView, BackupStatus } from '../../../main/ipc/contract'
import { call, errorMessage } from '../../api'
import { KIND_LABELS, type DestinationKindChoice } from '../../backup/destination-form'
import { CloudDestinationEditor } from './CloudDestinationEditor'
import { DestinationList } from './DestinationList'

type Destination = NonNullable<BackupSettingsView['destination']>

/**
 * Where backups go: choose the kind, then edit it. A folder is the
 * profile's own destination (saved once checked); S3, WebDAV and SFTP are
 * added as named destinations with a schedule of their own, tested before
 * they are saved. Below, every destination with its status.
 */
export function DestinationSection({
  info,
  settings,
  status,
}: {
  info: AppInfo
  settings: BackupSettingsView
  status: BackupStatus | null
}) {
  const [kind, setKind] = useState<DestinationKindChoice>(settings.destination?.kind ?? 'folder')
  return (
    <section className="settings-section" data-screen="destination" aria-labelledby="dest-title">
      <h3 id="dest-title">Where backups go</h3>
      <label className="field">
        <span>Kind of destination</span>
        <select
          value={kind}
          onChange={(event) => setKind(event.target.value as DestinationKindChoice)}
        >
          {Object.entries(KIND_LABELS).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </label>
      {kind === 'folder' ? (
        <FolderEditor
          info={info}
          current={settings.destination}
          defaultFolder={settings.defaultFolder}
          onSave={async (destination) => {
            await call('backup.configure', { destination })
          }}
          saveLabel="Save folder"
        />
      ) : (
        <CloudDestinationEditor key={kind} kind={kind} />
      )}
      {status && <DestinationList status={status} />}
    </section>
  )
}

/**
 * A folder: typed (the browser build), or picked with the system's folder
 * picker (the desktop app). The default folder is offered.
 */
export function FolderEditor({
  info,
  current,
  defaultFolder,
  onSave,
  saveLabel,
  onChange,
}: {
  info: AppInfo
  current: Destination | null
  defaultFolder: string
  /** Save (or, while setting up, just check) the folder; a thrown error is shown. */
  onSave?: (destination: Destination) => Promise<void>
  saveLabel?: string
  /** While setting up: report the typed folder upward instead of saving it. */
  onChange?: (destination: Destination) => void
}) {
  const [path, setPath] = useState(current?.path ?? defaultFolder)
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null)
  const [busy, setBusy] = useState(false)
  const change = (value: string) => {
    setPath(value)
    setMessage(null)
    onChange?.({ kind: 'folder', path: value })
  }
  const pick = async () => {
    try {
      const picked = await call('app.pickBackupLocation', { purpose: 'destination' })
      if (picked) change(picked)
    } catch (error) {
      setMessage({ ok: false, text: errorMessage(error) })
    }
  }
  const save = async () => {
    if (!onSave) return
    setBusy(true)
    setMessage(null)
    try {
      await onSave({ kind: 'folder', path: path.trim() })
      setMessage({ ok: true, text: 'Saved: new backups go to this folder.' })
    } catch (error) {
      setMessage({ ok: false, text: errorMessage(error) })
    } finally {
      setBusy(false)
    }
  }
  return (
    <div className="folder-editor">
      <label className="field">
        <span>Backup folder</span>
        <input
          type="text"
          value={path}
          spellCheck={false}
          autoComplete="off"
          aria-describedby="backup-folder-help"
          data-focus-first
          onChange={(event) => change(event.target.value)}
        />
      </label>
      <p id="backup-folder-help" className="muted small-print">
        Best on another drive or a synced folder, so a broken disk does not take the backups with
        it. Cairn&apos;s default: {defaultFolder}
      </p>
      <div className="row">
        {info.capabilities.pickBackupLocation && (
          <button type="button" onClick={() => void pick()}>
            Choose folder…
          </button>
        )}
        {path !== defaultFolder && (
          <button type="button" onClick={() => change(defaultFolder)}>
            Use the default folder
          </button>
        )}
        {onSave && (
          <button
            type="button"
            className="primary"
            disabled={busy || path.trim().length === 0}
            onClick={() => void save()}
          >
            {saveLabel ?? 'Save'}
          </button>
        )}
      </div>
      {message && (
        <p className={message.ok ? 'ok-text' : 'error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      )}
    </div>
  )
}

import { useEffect, useRef, useState } from 'react'
import { BACKUP_LABELS } from '../../../common/backup-labels'
import type { AppInfo } from '../../../main/ipc/contract'
import { call, on } from '../../api'
import type { BackupScreen } from '../../backup/status-view'
import type { BackupStatusState } from '../../backup/use-backup-status'
import { useQuery } from '../../use-query'
import { SignatureSection } from '../settings/SignatureSection'
import { ErrorState, Loading } from '../States'
import { DestinationSection } from './DestinationSection'
import { HistorySection } from './HistorySection'
import { KeySection } from './KeySection'
import { RetentionSection } from './RetentionSection'
import { ScheduleSection } from './ScheduleSection'
import { SetUpBackups } from './SetUpBackups'
import { StatusSection } from './StatusSection'
import './backup.css'

/**
 * Settings → Backups: the status, where backups go, when, how many are
 * kept, the key, the history, and the way into the restore wizard.
 * Reached from the window (the status bar's Settings button, a notice's
 * action) and from the app menu; `focus` names the part to open at.
 */
export function SettingsView({
  info,
  focus,
  backup,
  onClose,
  onRestore,
}: {
  info: AppInfo
  focus: BackupScreen | null
  backup: BackupStatusState
  onClose: () => void
  onRestore: (path?: string) => void
}) {
  const settings = useQuery('backup-settings', () => call('backup.settings', {}))
  const { reload } = settings
  const root = useRef<HTMLElement>(null)
  // Setting up stays on screen until it is finished (the key exists before the folder is saved).
  const [settingUp, setSettingUp] = useState<boolean | null>(null)
  if (settingUp === null && settings.value) setSettingUp(!settings.value.configured)

  useEffect(() => on('backup.changed', reload), [reload])

  // Open at the part a notice or the menu asked for: scrolled to, its first control focused.
  useEffect(() => {
    if (!focus || !settings.value) return
    const section = root.current?.querySelector<HTMLElement>(`[data-screen="${focus}"]`)
    if (!section) return
    section.scrollIntoView({ block: 'start' })
    const control =
      section.querySelector<HTMLElement>('[data-focus-first]') ??
      section.querySelector<HTMLElement>('input, select, textarea, button')
    control?.focus()
  }, [focus, settings.value])

  return (
    <main className="settings" ref={root} aria-labelledby="settings-title">
      <header className="settings-header">
        <h1 id="settings-title">{BACKUP_LABELS.settings}</h1>
        <button type="button" onClick={onClose}>
          Close settings
        </button>
      </header>
      <div className="settings-body">
        <h2>{BACKUP_LABELS.backupsSection}</h2>
        {settings.error && !settings.value ? (
          <ErrorState message={settings.error} onRetry={reload} />
        ) : !settings.value ? (
          <Loading label="Loading backup settings…" />
        ) : settingUp || !settings.value.configured ? (
          <SetUpBackups
            info={info}
            settings={settings.value}
            onDone={() => {
              setSettingUp(false)
              reload()
            }}
          />
        ) : (
          <>
            <StatusSection backup={backup} />
            <DestinationSection info={info} settings={settings.value} status={backup.status} />
            <ScheduleSection settings={settings.value} status={backup.status} />
            <RetentionSection settings={settings.value} />
            <KeySection />
            <HistorySection onRestore={onRestore} />
          </>
        )}
        <section className="settings-section" data-screen="restore" aria-labelledby="restore-title">
          <h3 id="restore-title">Restore</h3>
          <p className="muted">
            Replace this mailbox with one of your backups (from this computer, a drive or another
            folder). Nothing changes until the backup has been checked and you have said yes.
          </p>
          <button type="button" onClick={() => onRestore()}>
            {BACKUP_LABELS.restoreFromBackup}
          </button>
        </section>
        <h2>Mail</h2>
        <SignatureSection />
      </div>
    </main>
  )
}

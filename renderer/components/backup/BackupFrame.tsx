import { useCallback, useEffect, useState, type ReactNode } from 'react'
import type { AppInfo } from '../../../main/ipc/contract'
import { call, on } from '../../api'
import type { BackupScreen } from '../../backup/status-view'
import { useBackupStatus } from '../../backup/use-backup-status'
import { BackupStatusBar } from './BackupStatusBar'
import { RestoreWizard } from './RestoreWizard'
import { SettingsView } from './SettingsView'
import './backup.css'

export interface BackupFrameControls {
  /** Open the restore wizard (optionally on one backup file). */
  openRestore: (path?: string) => void
  openSettings: (screen?: BackupScreen | null) => void
}

/**
 * Around the main window's content: the backup status bar (always
 * visible), the Settings view in place of the content while open, and the
 * restore wizard. Menu commands and clicked desktop notifications
 * (app.command) open the right screen.
 */
export function BackupFrame({
  info,
  children,
}: {
  info: AppInfo
  children: (controls: BackupFrameControls) => ReactNode
}) {
  const backup = useBackupStatus()
  const [settings, setSettings] = useState<{ screen: BackupScreen | null } | null>(null)
  const [restore, setRestore] = useState<{ path?: string } | null>(null)

  const openSettings = useCallback((screen?: BackupScreen | null) => {
    setSettings({ screen: screen ?? null })
    // "Back up now" and "Try again" in a notice do what they say, and show the status.
    if (screen === 'status') void call('backup.runNow', {}).catch(() => undefined)
  }, [])
  const openRestore = useCallback((path?: string) => setRestore({ path }), [])

  useEffect(
    () =>
      on('app.command', (command) => {
        if (command.command === 'open-settings') setSettings({ screen: command.screen ?? null })
        if (command.command === 'open-restore') setRestore({})
      }),
    [],
  )

  return (
    <div className="frame">
      <div className="frame-content">
        {settings ? (
          <SettingsView
            info={info}
            focus={settings.screen}
            backup={backup}
            onClose={() => setSettings(null)}
            onRestore={openRestore}
          />
        ) : (
          children({ openRestore, openSettings })
        )}
      </div>
      <BackupStatusBar
        state={backup}
        onOpen={(screen) => openSettings(screen)}
        settingsOpen={settings !== null}
      />
      {restore && (
        <RestoreWizard info={info} initialPath={restore.path} onClose={() => setRestore(null)} />
      )}
    </div>
  )
}

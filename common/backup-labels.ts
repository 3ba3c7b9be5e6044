/**
 * The names of the backup screens and controls, in one place: the renderer
 * labels its buttons and fields with them, and the recovery sheet's
 * instructions name them, so a sheet printed today never sends its reader
 * to a screen that does not exist (the e2e tests find the controls by these
 * names).
 */
export const BACKUP_LABELS = {
  /** The first-run screen's button, and the one in Settings → Backups. */
  restoreFromBackup: 'Restore from a backup',
  settings: 'Settings',
  backupsSection: 'Backups',
  /** The restore wizard's field for a typed key. */
  keyField: 'Backup key (64 digits)',
  vaultPasswordField: 'Vault password',
  restore: 'Restore',
  backUpNow: 'Back up now',
  backupLocation: 'Backup file or folder',
} as const

/** What the recovery sheet tells its reader to do in Cairn, with the names above. */
export function restoreInCairnSteps(): string[] {
  const { restoreFromBackup, settings, backupsSection, keyField, restore } = BACKUP_LABELS
  return [
    `Open Cairn. On the welcome screen choose "${restoreFromBackup}" ` +
      `(with a mailbox already open: ${settings} → ${backupsSection} → "${restoreFromBackup}").`,
    `Cairn looks for your backups in the "Cairn Backups" folder of your Documents folder; ` +
      `if they are elsewhere, choose their folder there.`,
    `Type the 64 digits below into "${keyField}" (or use your vault password), then choose "${restore}".`,
  ]
}

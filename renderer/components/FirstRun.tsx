import { BACKUP_LABELS } from '../../common/backup-labels'

/** The first screen of an empty profile: bring mail in, connect an account, or restore a backup. */
export function FirstRun({
  onImport,
  onAddAccount,
  onRestore,
}: {
  onImport: () => void
  onAddAccount: () => void
  onRestore: () => void
}) {
  return (
    <main className="first-run">
      <h1>Welcome to Cairn</h1>
      <p className="lead">Your mail and chats, on your computer, with backups only you can read.</p>
      <div className="first-run-actions">
        <button type="button" className="primary" onClick={onImport}>
          Import mail
          <span className="hint">From mbox files or folders of .eml messages</span>
        </button>
        <button type="button" onClick={onAddAccount}>
          Add an account
          <span className="hint">Your address and password, or sign in with your provider</span>
        </button>
        <button type="button" onClick={onRestore}>
          {BACKUP_LABELS.restoreFromBackup}
          <span className="hint">Your mailbox back from an encrypted Cairn backup</span>
        </button>
      </div>
    </main>
  )
}

import { BACKUP_LABELS } from '../../common/backup-labels'

/** The first screen of an empty profile: bring mail in, restore a backup, or (soon) connect. */
export function FirstRun({ onImport, onRestore }: { onImport: () => void; onRestore: () => void }) {
  return (
    <main className="first-run">
      <h1>Welcome to Cairn</h1>
      <p className="lead">Your mail and chats, on your computer, with backups only you can read.</p>
      <div className="first-run-actions">
        <button type="button" className="primary" onClick={onImport}>
          Import mail
          <span className="hint">From mbox files or folders of .eml messages</span>
        </button>
        <button type="button" disabled title="Coming soon: accounts arrive with mail sync">
          Add an account
          <span className="hint">Coming soon</span>
        </button>
        <button type="button" onClick={onRestore}>
          {BACKUP_LABELS.restoreFromBackup}
          <span className="hint">Your mailbox back from an encrypted Cairn backup</span>
        </button>
      </div>
    </main>
  )
}

/** The first screen of an empty profile: bring mail in, connect an account, or (soon) restore. */
export function FirstRun({
  onImport,
  onAddAccount,
}: {
  onImport: () => void
  onAddAccount: () => void
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
        <button type="button" disabled title="Coming soon: restore arrives with encrypted backups">
          Restore from a backup
          <span className="hint">Coming soon</span>
        </button>
      </div>
    </main>
  )
}

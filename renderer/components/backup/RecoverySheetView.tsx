import type { RecoverySheetContent } from '../../../main/ipc/contract'
import { keyLines } from '../../backup/write-down'

/**
 * The recovery sheet, on screen and on paper (window.print() prints only
 * this, see backup.css): the key, its fingerprint, the vault record, how to
 * restore in Cairn, and the commands that recover a backup without Cairn.
 */
export function RecoverySheetView({
  sheet,
  printOnly = false,
}: {
  sheet: RecoverySheetContent
  printOnly?: boolean
}) {
  const [first, second] = keyLines(sheet.groups)
  return (
    <article
      className={`print-sheet${printOnly ? ' print-only' : ''}`}
      aria-label="Recovery sheet"
      aria-hidden={printOnly ? true : undefined}
    >
      <h1>Cairn backup key: recovery sheet</h1>
      <p>
        Created {sheet.createdAt} · Fingerprint <strong>{sheet.fingerprint}</strong>
      </p>
      {sheet.vault && (
        <p>
          Backup Key Vault record <strong>{sheet.vault.recordId}</strong>
          {sheet.vault.url && <> at {sheet.vault.url}</>}
        </p>
      )}
      <p className="sheet-key">
        {first}
        <br />
        {second}
      </p>
      <p>
        <strong>Anyone with this key can read your backups. Keep this sheet somewhere safe.</strong>
      </p>
      <h2>To restore in Cairn</h2>
      <ol>
        {sheet.restoreInCairn.map((step) => (
          <li key={step}>{step}</li>
        ))}
      </ol>
      <h2>To recover the newest backup without Cairn</h2>
      <p>
        Needs the <code>age</code> and <code>zstd</code> tools. In a terminal, in the folder that
        holds your backups:
      </p>
      <pre>{sheet.commands.join('\n')}</pre>
      <p>
        Your mail is then in <code>restored/</code>.
      </p>
    </article>
  )
}

/** Print the sheet: the page's print style shows only the sheet. */
export function printSheet(): void {
  window.print()
}

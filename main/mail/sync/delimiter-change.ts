import type { MailDb } from '../db/connection.js'
import { listRemoteFolders } from '../store/remote-folders.js'

export interface ListedPath {
  imapPath: string
  delimiter: string | null
}

/** A folder's place in the hierarchy, whatever character separates its levels. */
const levels = (path: string, delimiter: string | null) =>
  (delimiter ? path.split(delimiter) : [path]).join('\u0000')

/**
 * Follow a change of the server's hierarchy delimiter (a migration from
 * "." to "/"): a stored folder the server no longer lists, whose levels
 * are those of a folder it lists under another delimiter ("Work.Projects"
 * now "Work/Projects"), is that folder. It takes the new path, keeping its
 * local folder, messages and sync state, and queued actions naming the old
 * path follow it. Without this the folder was removed with its messages
 * (and a message moved into it and not yet replayed) and came back as
 * "Projects (2)", fetched again. Returns how many folders moved.
 */
export function followDelimiterChange(db: MailDb, accountId: number, listed: ListedPath[]): number {
  const listedPaths = new Set(listed.map((f) => f.imapPath))
  const gone = new Map(
    listRemoteFolders(db, accountId)
      .filter((f) => !listedPaths.has(f.imapPath))
      .map((f) => [levels(f.imapPath, f.delimiter), f]),
  )
  if (gone.size === 0) return 0
  const rename = db.prepare(
    'UPDATE remote_folders SET imap_path = ?, delimiter = ? WHERE folder_id = ?',
  )
  const actionsFrom = db.prepare(
    'UPDATE sync_actions SET imap_path = ? WHERE account_id = ? AND imap_path = ?',
  )
  const actionsTo = db.prepare(
    `UPDATE sync_actions SET payload = json_set(payload, '$.to', ?)
      WHERE account_id = ? AND json_extract(payload, '$.to') = ?`,
  )
  const exists = db.prepare<[number, string], { one: number }>(
    'SELECT 1 AS one FROM remote_folders WHERE account_id = ? AND imap_path = ?',
  )
  let moved = 0
  for (const folder of listed) {
    const old = gone.get(levels(folder.imapPath, folder.delimiter))
    // The same levels under the same delimiter would be the same path; a
    // path some other stored folder holds already is left to the usual
    // add and remove.
    if (!old || old.delimiter === folder.delimiter || exists.get(accountId, folder.imapPath))
      continue
    rename.run(folder.imapPath, folder.delimiter, old.folderId)
    actionsFrom.run(folder.imapPath, accountId, old.imapPath)
    actionsTo.run(folder.imapPath, accountId, old.imapPath)
    gone.delete(levels(folder.imapPath, folder.delimiter))
    moved++
  }
  return moved
}

import type { MailDb } from '../db/connection.js'
import { ensureFolder } from './folders.js'

export interface RemoteFolder {
  folderId: number
  accountId: number
  imapPath: string
  delimiter: string | null
  specialUse: string | null
  uidvalidity: number | null
  uidnext: number | null
  /** A 63-bit value (RFC 7162): a JavaScript number would round it above 2^53. */
  highestModseq: bigint | null
  headersBelow: number
}

interface Row {
  folder_id: number
  account_id: number
  imap_path: string
  delimiter: string | null
  special_use: string | null
  uidvalidity: number | null
  uidnext: number | null
  /** As text: better-sqlite3 reads an INTEGER as a number, losing precision above 2^53. */
  highest_modseq: string | null
  headers_below: number
}

const toFolder = (r: Row): RemoteFolder => ({
  folderId: r.folder_id,
  accountId: r.account_id,
  imapPath: r.imap_path,
  delimiter: r.delimiter,
  specialUse: r.special_use,
  uidvalidity: r.uidvalidity,
  uidnext: r.uidnext,
  highestModseq:
    r.highest_modseq !== null && /^\d+$/.test(r.highest_modseq) ? BigInt(r.highest_modseq) : null,
  headersBelow: r.headers_below,
})

const select = `SELECT r.folder_id, r.account_id, r.imap_path, r.delimiter, f.special_use,
  r.uidvalidity, r.uidnext, CAST(r.highest_modseq AS TEXT) AS highest_modseq, r.headers_below
  FROM remote_folders r JOIN folders f ON f.id = r.folder_id`

/** The folder tree shows "Inbox" and "/"-separated paths whatever the server's delimiter. */
export function displayPath(imapPath: string, delimiter: string | null): string {
  if (imapPath.toUpperCase() === 'INBOX') return 'Inbox'
  const parts = delimiter ? imapPath.split(delimiter) : [imapPath]
  if (parts[0]?.toUpperCase() === 'INBOX') parts[0] = 'Inbox'
  return parts.map((p) => p.replace(/\//g, '∕')).join('/')
}

/** The local folder for a server folder, created on first sight; its role follows the server's. */
export function upsertRemoteFolder(
  db: MailDb,
  accountId: number,
  folder: { imapPath: string; delimiter: string | null; specialUse: string | null },
): number {
  const existing = db
    .prepare<[number, string], { folder_id: number }>(
      'SELECT folder_id FROM remote_folders WHERE account_id = ? AND imap_path = ?',
    )
    .get(accountId, folder.imapPath)
  const folderId = existing?.folder_id ?? freeLocalFolder(db, accountId, folder)
  if (!existing)
    db.prepare(
      'INSERT INTO remote_folders (folder_id, account_id, imap_path, delimiter) VALUES (?, ?, ?, ?)',
    ).run(folderId, accountId, folder.imapPath, folder.delimiter)
  // The server's delimiter can change (a migration): new subfolders are made with the current one.
  else
    db.prepare(
      'UPDATE remote_folders SET delimiter = ? WHERE folder_id = ? AND delimiter IS NOT ?',
    ).run(folder.delimiter, folderId, folder.delimiter)
  db.prepare('UPDATE folders SET special_use = ? WHERE id = ?').run(folder.specialUse, folderId)
  return folderId
}

/**
 * The local folder a new server folder gets: the one at its display path,
 * unless another server folder has it already (two names for one place,
 * "Archive" and "Archive/", "a/b" and "a∕b"): then "Archive (2)", …
 */
function freeLocalFolder(
  db: MailDb,
  accountId: number,
  folder: { imapPath: string; delimiter: string | null },
): number {
  const taken = db.prepare<[number], { one: number }>(
    'SELECT 1 AS one FROM remote_folders WHERE folder_id = ?',
  )
  // A name that leaves no path at all ("/") still gets a folder.
  const path = displayPath(folder.imapPath, folder.delimiter).replace(/\/+$/, '') || '?'
  // Roles come from the server (upsertRemoteFolder, folder-roles.ts), not
  // from names: a parent made here for "Spam/2024" is no Junk folder.
  const ensure = (p: string) => ensureFolder(db, accountId, p, { guessRoles: false })
  let folderId = ensure(path)
  for (let n = 2; taken.get(folderId); n++) folderId = ensure(`${path} (${n})`)
  return folderId
}

export function listRemoteFolders(db: MailDb, accountId: number): RemoteFolder[] {
  return db
    .prepare<[number], Row>(`${select} WHERE r.account_id = ? ORDER BY r.folder_id`)
    .all(accountId)
    .map(toFolder)
}

export function remoteFolderById(db: MailDb, folderId: number): RemoteFolder | undefined {
  const row = db.prepare<[number], Row>(`${select} WHERE r.folder_id = ?`).get(folderId)
  return row ? toFolder(row) : undefined
}

/**
 * The server folder that holds a role (Sent, Drafts, Trash…), as the
 * folder-list sync decided it (folder-roles.ts: one folder per role). The
 * one place every lookup of an account's role folder goes through.
 */
export function remoteFolderByRole(
  db: MailDb,
  accountId: number,
  role: string,
): RemoteFolder | undefined {
  const row = db
    .prepare<[number, string], Row>(
      `${select} WHERE r.account_id = ? AND f.special_use = ? ORDER BY r.folder_id LIMIT 1`,
    )
    .get(accountId, role)
  return row ? toFolder(row) : undefined
}

/**
 * Roles on an account's folders that are no server folder (a parent the
 * server does not list as selectable): guessed from their names by earlier
 * versions, they showed a second Trash or Junk in the folder tree.
 */
export function clearLocalOnlyRoles(db: MailDb, accountId: number): void {
  db.prepare(
    `UPDATE folders SET special_use = NULL
      WHERE account_id = ? AND special_use IS NOT NULL
        AND id NOT IN (SELECT folder_id FROM remote_folders WHERE account_id = ?)`,
  ).run(accountId, accountId)
}

export function saveFolderState(
  db: MailDb,
  folderId: number,
  state: {
    uidvalidity: number
    uidnext: number
    highestModseq: bigint | null
    headersBelow: number
  },
): void {
  db.prepare(
    `UPDATE remote_folders SET uidvalidity = ?, uidnext = ?, highest_modseq = ?, headers_below = ?,
            last_synced_at = ? WHERE folder_id = ?`,
  ).run(
    state.uidvalidity,
    state.uidnext,
    state.highestModseq,
    state.headersBelow,
    Date.now(),
    folderId,
  )
}

/** A folder deleted on the server goes locally too, with its messages. */
export function removeFolder(db: MailDb, folderId: number): void {
  db.prepare('DELETE FROM folders WHERE id = ?').run(folderId)
}

import type { MailDb } from '../db/connection.js'
import type { FolderView } from '../types.js'

interface FolderRow {
  id: number
  account_id: number
  account_name: string
  parent_id: number | null
  name: string
  path: string
  special_use: string | null
  total: number
  unread: number
}

/** Special-use flags (RFC 6154) guessed from the common names of exported folders. */
const specialUseByName: Record<string, string> = {
  inbox: '\\Inbox',
  sent: '\\Sent',
  'sent items': '\\Sent',
  'sent mail': '\\Sent',
  drafts: '\\Drafts',
  trash: '\\Trash',
  'deleted items': '\\Trash',
  junk: '\\Junk',
  spam: '\\Junk',
  archive: '\\Archive',
  archives: '\\Archive',
}

/**
 * The folder at `path` ("Work/Projects") in the account, created with its
 * parents if missing. Returns its id. A new top-level folder gets the role
 * its name suggests ("Sent", "Deleted Items"), unless `guessRoles` is false
 * (an IMAP account's folders, whose roles the server gives).
 */
export function ensureFolder(
  db: MailDb,
  accountId: number,
  path: string,
  options: { guessRoles?: boolean } = {},
): number {
  const segments = path.split('/').filter((segment) => segment.length > 0)
  if (segments.length === 0) throw new Error('A folder path needs at least one name')
  const find = db.prepare<[number, string], { id: number }>(
    'SELECT id FROM folders WHERE account_id = ? AND path = ?',
  )
  const insert = db.prepare(
    'INSERT INTO folders (account_id, parent_id, name, path, special_use) VALUES (?, ?, ?, ?, ?)',
  )
  let parentId: number | null = null
  for (let depth = 1; depth <= segments.length; depth++) {
    const folderPath = segments.slice(0, depth).join('/')
    const name = segments[depth - 1] as string
    const existing = find.get(accountId, folderPath)
    if (existing) {
      parentId = existing.id
      continue
    }
    const guess = depth === 1 && options.guessRoles !== false
    const specialUse = guess ? (specialUseByName[name.toLowerCase()] ?? null) : null
    parentId = Number(insert.run(accountId, parentId, name, folderPath, specialUse).lastInsertRowid)
  }
  return parentId as number
}

export function listFolders(db: MailDb): FolderView[] {
  return db
    .prepare<[], FolderRow>(
      `SELECT f.id, f.account_id, a.name AS account_name, f.parent_id, f.name, f.path,
              f.special_use, f.total, f.unread
         FROM folders f JOIN accounts a ON a.id = f.account_id
        ORDER BY f.account_id, f.special_use IS NULL, f.path COLLATE NOCASE`,
    )
    .all()
    .map((row) => ({
      id: row.id,
      accountId: row.account_id,
      accountName: row.account_name,
      parentId: row.parent_id,
      name: row.name,
      path: row.path,
      specialUse: row.special_use,
      total: row.total,
      unread: row.unread,
    }))
}

/**
 * Remove those of `folderIds` that hold no message and no subfolder, then
 * their parents likewise when they became empty; returns the ids removed.
 */
export function removeEmptyFolders(db: MailDb, folderIds: number[]): Set<number> {
  const removed = new Set<number>()
  const parentOf = db.prepare<[number], { parent_id: number | null }>(
    'SELECT parent_id FROM folders WHERE id = ?',
  )
  const removeIfEmpty = db.prepare(
    `DELETE FROM folders WHERE id = ? AND total = 0
       AND NOT EXISTS (SELECT 1 FROM messages WHERE folder_id = folders.id)
       AND NOT EXISTS (SELECT 1 FROM folders c WHERE c.parent_id = folders.id)`,
  )
  const queue = [...folderIds]
  while (queue.length > 0) {
    const id = queue.shift() as number
    const parent = parentOf.get(id)?.parent_id ?? null
    if (removeIfEmpty.run(id).changes > 0) {
      removed.add(id)
      if (parent !== null && folderIds.includes(parent)) queue.push(parent)
    }
  }
  return removed
}

import type { ImapFlow } from 'imapflow'
import type { CredentialSource } from '../accounts/credentials.js'
import type { MailDb } from '../db/connection.js'
import { Emitter } from '../../shared/emitter.js'
import { CairnError } from '../../shared/errors.js'
import { ensureFolder } from '../store/folders.js'
import {
  displayPath,
  listRemoteFolders,
  remoteFolderByRole,
  upsertRemoteFolder,
} from '../store/remote-folders.js'
import { withImap } from './imap-session.js'
import type { FolderRole } from './message-actions.js'

export interface FolderEvents {
  [name: string]: unknown
  changed: { reason: 'folders' }
}

interface FolderRow {
  id: number
  account_id: number
  parent_id: number | null
  name: string
  path: string
  special_use: string | null
  kind: 'local' | 'imap'
  imap_path: string | null
  delimiter: string | null
}

/** The name a folder gets when an account has none for a role yet. */
const ROLE_NAMES: Record<FolderRole, string> = {
  '\\Inbox': 'Inbox',
  '\\Trash': 'Trash',
  '\\Archive': 'Archive',
  '\\Junk': 'Junk',
  '\\Drafts': 'Drafts',
}

/**
 * Folders the user makes, renames, nests and deletes. Local Folders change
 * in the store; an IMAP account's change on the server first (CREATE,
 * RENAME, DELETE over a short session of their own, outside sync's queue:
 * a folder operation either happened on the server or it did not), then in
 * the store under the same names sync uses, so the next sync finds them
 * where it expects them. Special folders (Inbox, Sent, Trash…) keep their
 * place and name.
 */
export class FolderActions {
  readonly events = new Emitter<FolderEvents>()

  constructor(
    private readonly db: MailDb,
    private readonly credentials: CredentialSource | null,
  ) {}

  /**
   * The account's folder for a role (Trash, Archive, Junk, Inbox), made when
   * it has none. An account's: the server folder sync gave the role
   * (remoteFolderByRole, as the Sent copy and delete find theirs), else a
   * server folder of the role's name; never a folder without a server copy.
   */
  async roleFolder(accountId: number, role: FolderRole): Promise<number> {
    const kind = this.kindOf(accountId)
    const byRole =
      kind === 'imap'
        ? remoteFolderByRole(this.db, accountId, role)?.folderId
        : this.db
            .prepare<[number, string], { id: number }>(
              'SELECT id FROM folders WHERE account_id = ? AND special_use = ? ORDER BY id LIMIT 1',
            )
            .get(accountId, role)?.id
    if (byRole !== undefined) return byRole
    const name = ROLE_NAMES[role]
    const byName = this.db
      .prepare<[number, string, number], { id: number }>(
        `SELECT id FROM folders f WHERE account_id = ? AND parent_id IS NULL AND name = ? COLLATE NOCASE
            AND (? = 0 OR EXISTS (SELECT 1 FROM remote_folders r WHERE r.folder_id = f.id))
          ORDER BY id LIMIT 1`,
      )
      .get(accountId, name, kind === 'imap' ? 1 : 0)
    if (byName) return byName.id
    if (kind === 'local') {
      const id = ensureFolder(this.db, accountId, name)
      this.db.prepare('UPDATE folders SET special_use = ? WHERE id = ?').run(role, id)
      this.changed()
      return id
    }
    const id = await this.create(accountId, null, name)
    this.db.prepare('UPDATE folders SET special_use = ? WHERE id = ?').run(role, id)
    return id
  }

  /** A new folder, at the top of the account or inside `parentId`. Returns its id. */
  async create(accountId: number, parentId: number | null, name: string): Promise<number> {
    const clean = checkName(name)
    const parent = parentId === null ? null : this.folder(parentId)
    if (parent && parent.account_id !== accountId)
      throw new CairnError('FOLDER_INVALID', 'A folder can only be made inside its own account.')
    const path = parent ? `${parent.path}/${clean}` : clean
    if (this.findByPath(accountId, path))
      throw new CairnError('FOLDER_EXISTS', `There is already a folder called "${clean}" there.`)
    if (this.kindOf(accountId) === 'local') {
      const id = ensureFolder(this.db, accountId, path)
      this.changed()
      return id
    }
    const delimiter = parent?.delimiter ?? this.accountDelimiter(accountId)
    if (clean.includes(delimiter))
      throw new CairnError(
        'FOLDER_INVALID',
        `A folder name on this server cannot contain "${delimiter}".`,
      )
    const imapPath = parent?.imap_path ? `${parent.imap_path}${delimiter}${clean}` : clean
    await this.imap(accountId, (client) => client.mailboxCreate(imapPath))
    const id = upsertRemoteFolder(this.db, accountId, { imapPath, delimiter, specialUse: null })
    this.changed()
    return id
  }

  async rename(folderId: number, name: string): Promise<void> {
    const folder = this.changeable(folderId, 'renamed')
    const clean = checkName(name)
    const parent = folder.parent_id === null ? null : this.folder(folder.parent_id)
    await this.relocate(folder, parent, clean)
  }

  /** Nest a folder inside another of the same account (null: to the top). */
  async moveInto(folderId: number, parentId: number | null): Promise<void> {
    const folder = this.changeable(folderId, 'moved')
    const parent = parentId === null ? null : this.folder(parentId)
    if (parent) {
      if (parent.account_id !== folder.account_id)
        throw new CairnError('FOLDER_INVALID', 'A folder can only be moved within its account.')
      if (parent.id === folder.id || parent.path.startsWith(`${folder.path}/`))
        throw new CairnError('FOLDER_INVALID', 'A folder cannot be moved into itself.')
    }
    await this.relocate(folder, parent, folder.name)
  }

  /**
   * Delete a folder and its subfolders. Local Folders: their messages go to
   * Trash first. An account's folder: deleted on the server, messages with
   * it (the UI asks first, saying how many).
   */
  async delete(folderId: number): Promise<void> {
    const folder = this.changeable(folderId, 'deleted')
    const tree = this.subtree(folder)
    if (folder.kind === 'local') {
      const trash = await this.roleFolder(folder.account_id, '\\Trash')
      this.db.transaction(() => {
        const ids = JSON.stringify(tree.map((f) => f.id))
        this.db
          .prepare(
            `UPDATE messages SET folder_id = ? WHERE folder_id IN (SELECT value FROM json_each(?))`,
          )
          .run(trash, ids)
        this.db.prepare('DELETE FROM folders WHERE id = ?').run(folder.id)
      })()
    } else {
      // Deepest first: servers refuse to delete a folder that still has children.
      const paths = tree
        .map((f) => f.imap_path)
        .filter((p): p is string => p !== null)
        .sort((a, b) => b.length - a.length)
      await this.imap(folder.account_id, async (client) => {
        for (const path of paths) await client.mailboxDelete(path)
      })
      this.db.prepare('DELETE FROM folders WHERE id = ?').run(folder.id)
    }
    this.changed()
  }

  private async relocate(folder: FolderRow, parent: FolderRow | null, name: string) {
    const path = parent ? `${parent.path}/${name}` : name
    if (path === folder.path) return
    const clash = this.findByPath(folder.account_id, path)
    if (clash && clash.id !== folder.id)
      throw new CairnError('FOLDER_EXISTS', `There is already a folder called "${name}" there.`)
    const tree = this.subtree(folder)
    if (folder.kind === 'local') {
      this.db.transaction(() => {
        for (const f of tree) {
          const newPath = path + f.path.slice(folder.path.length)
          this.db
            .prepare('UPDATE folders SET path = ?, name = ?, parent_id = ? WHERE id = ?')
            .run(
              newPath,
              f.id === folder.id ? name : f.name,
              f.id === folder.id ? (parent?.id ?? null) : f.parent_id,
              f.id,
            )
        }
      })()
    } else {
      const delimiter = folder.delimiter ?? this.accountDelimiter(folder.account_id)
      if (name.includes(delimiter))
        throw new CairnError(
          'FOLDER_INVALID',
          `A folder name on this server cannot contain "${delimiter}".`,
        )
      const oldImap = folder.imap_path as string
      const newImap = parent?.imap_path ? `${parent.imap_path}${delimiter}${name}` : name
      await this.imap(folder.account_id, (client) => client.mailboxRename(oldImap, newImap))
      this.db.transaction(() => {
        for (const f of tree) {
          const imapPath = newImap + (f.imap_path as string).slice(oldImap.length)
          const shown = displayPath(imapPath, f.delimiter ?? delimiter)
          this.db
            .prepare('UPDATE remote_folders SET imap_path = ? WHERE folder_id = ?')
            .run(imapPath, f.id)
          this.db
            .prepare('UPDATE folders SET path = ?, name = ?, parent_id = ? WHERE id = ?')
            .run(
              shown,
              shown.split('/').pop() as string,
              f.id === folder.id ? (parent?.id ?? null) : f.parent_id,
              f.id,
            )
        }
      })()
    }
    this.changed()
  }

  /** A server refusal (NO/BAD) as a typed error with the server's own words. */
  private async imap<T>(accountId: number, work: (client: ImapFlow) => Promise<T>): Promise<T> {
    if (!this.credentials)
      throw new CairnError('FOLDER_REFUSED', 'Mail accounts are not available here.')
    return withImap(this.db, this.credentials, accountId, async (client) => {
      try {
        return await work(client)
      } catch (error) {
        const e = error as { responseStatus?: string; responseText?: string }
        if (e.responseStatus === 'NO' || e.responseStatus === 'BAD')
          throw new CairnError(
            'FOLDER_REFUSED',
            `The server refused: ${e.responseText ?? 'no reason given'}.`,
            { cause: error },
          )
        throw error
      }
    })
  }

  private changeable(folderId: number, verb: string): FolderRow {
    const folder = this.folder(folderId)
    if (folder.special_use !== null)
      throw new CairnError(
        'ACTION_NOT_ALLOWED',
        `"${folder.name}" is a special folder and cannot be ${verb}.`,
      )
    return folder
  }

  private folder(folderId: number): FolderRow {
    const row = this.db
      .prepare<[number], FolderRow>(
        `SELECT f.id, f.account_id, f.parent_id, f.name, f.path, f.special_use, a.kind,
                r.imap_path, r.delimiter
           FROM folders f JOIN accounts a ON a.id = f.account_id
           LEFT JOIN remote_folders r ON r.folder_id = f.id
          WHERE f.id = ?`,
      )
      .get(folderId)
    if (!row) throw new CairnError('NOT_FOUND', 'That folder no longer exists.')
    return row
  }

  /** The folder and every folder below it. */
  private subtree(folder: FolderRow): FolderRow[] {
    const ids = this.db
      .prepare<[{ account: number; path: string }], { id: number }>(
        `SELECT id FROM folders
          WHERE account_id = @account AND (path = @path OR substr(path, 1, length(@path) + 1) = @path || '/')`,
      )
      .all({ account: folder.account_id, path: folder.path })
    return ids.map((r) => this.folder(r.id))
  }

  private findByPath(accountId: number, path: string) {
    return this.db
      .prepare<[number, string], { id: number }>(
        'SELECT id FROM folders WHERE account_id = ? AND path = ? COLLATE NOCASE',
      )
      .get(accountId, path)
  }

  private kindOf(accountId: number): 'local' | 'imap' {
    const row = this.db
      .prepare<[number], { kind: 'local' | 'imap' }>('SELECT kind FROM accounts WHERE id = ?')
      .get(accountId)
    if (!row) throw new CairnError('ACCOUNT_NOT_FOUND', 'That account no longer exists.')
    return row.kind
  }

  private accountDelimiter(accountId: number): string {
    return listRemoteFolders(this.db, accountId).find((f) => f.delimiter)?.delimiter ?? '/'
  }

  private changed() {
    this.events.emit('changed', { reason: 'folders' })
  }
}

/** A folder name the user typed, checked: no path separator, control character or dot name. */
export function checkName(name: string): string {
  const clean = name.normalize('NFC').trim()
  if (!clean) throw new CairnError('FOLDER_INVALID', 'A folder needs a name.')
  if (clean.length > 200)
    throw new CairnError('FOLDER_INVALID', 'That name is too long (200 characters at most).')
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  if (/[/\\\u0000-\u001f\u007f]/.test(clean) || clean === '.' || clean === '..')
    throw new CairnError(
      'FOLDER_INVALID',
      'A folder name cannot contain "/", "\\" or control characters, nor be "." or "..".',
    )
  return clean
}

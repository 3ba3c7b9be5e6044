import { CairnError } from '../../shared/errors.js'
import type { MailDb } from '../db/connection.js'
import { remoteFolderById, remoteFolderByRole } from '../store/remote-folders.js'
import { remoteRefOf } from '../store/remote-messages.js'

export type FlagChange = { seen?: boolean; flagged?: boolean }

/**
 * Local actions on synced mail. Each is applied to the local store at once
 * (the UI shows it immediately) and, in the same transaction, queued in
 * sync_actions for replay to the server, so a quit, a crash or a lost
 * connection never drops it. Returns the accounts whose queue grew.
 */
export function setFlagsLocally(db: MailDb, messageIds: number[], change: FlagChange): Set<number> {
  const accounts = new Set<number>()
  const add: string[] = []
  const remove: string[] = []
  if (change.seen !== undefined) (change.seen ? add : remove).push('\\Seen')
  if (change.flagged !== undefined) (change.flagged ? add : remove).push('\\Flagged')
  db.transaction(() => {
    for (const id of messageIds) {
      if (change.seen !== undefined)
        db.prepare('UPDATE messages SET seen = ? WHERE id = ?').run(change.seen ? 1 : 0, id)
      if (change.flagged !== undefined)
        db.prepare('UPDATE messages SET flagged = ? WHERE id = ?').run(change.flagged ? 1 : 0, id)
      const ref = remoteRefOf(db, id)
      if (!ref) continue
      queue(db, ref.accountId, 'flags', id, ref.imapPath, ref.uidvalidity, ref.uid, { add, remove })
      accounts.add(ref.accountId)
    }
  })()
  return accounts
}

/** Move messages to another folder of the same account. */
export function moveLocally(db: MailDb, messageIds: number[], targetFolderId: number): Set<number> {
  const target = remoteFolderById(db, targetFolderId)
  const accounts = new Set<number>()
  db.transaction(() => {
    for (const id of messageIds) {
      const ref = remoteRefOf(db, id)
      if (!ref)
        throw new CairnError(
          'INVALID_ARGUMENT',
          'Only messages of a mail account can be moved between its folders.',
        )
      if (!target || target.accountId !== ref.accountId)
        throw new CairnError(
          'INVALID_ARGUMENT',
          'Messages can be moved only to a folder of the same account.',
        )
      // Compared with where the message is now locally: a move still queued
      // (the server copy not yet moved) may be undone by moving it back.
      const local = db
        .prepare<[number], { folder_id: number }>('SELECT folder_id FROM messages WHERE id = ?')
        .get(id)
      if (!local || local.folder_id === targetFolderId) continue
      db.prepare('UPDATE messages SET folder_id = ? WHERE id = ?').run(targetFolderId, id)
      queue(db, ref.accountId, 'move', id, ref.imapPath, ref.uidvalidity, ref.uid, {
        to: target.imapPath,
      })
      accounts.add(ref.accountId)
    }
  })()
  return accounts
}

/**
 * Delete as mail clients do: to the account's Trash, or for good when the
 * message is already in Trash (or the account has none).
 */
export function deleteLocally(db: MailDb, messageIds: number[]): Set<number> {
  const accounts = new Set<number>()
  db.transaction(() => {
    for (const id of messageIds) {
      const ref = remoteRefOf(db, id)
      if (!ref) continue
      const trash = remoteFolderByRole(db, ref.accountId, '\\Trash')
      const current = db
        .prepare<[number], { folder_id: number }>('SELECT folder_id FROM messages WHERE id = ?')
        .get(id)
      if (trash && current && current.folder_id !== trash.folderId) {
        db.prepare('UPDATE messages SET folder_id = ? WHERE id = ?').run(trash.folderId, id)
        queue(db, ref.accountId, 'move', id, ref.imapPath, ref.uidvalidity, ref.uid, {
          to: trash.imapPath,
        })
      } else {
        queue(db, ref.accountId, 'delete', id, ref.imapPath, ref.uidvalidity, ref.uid, {})
        db.prepare('DELETE FROM messages WHERE id = ?').run(id)
      }
      accounts.add(ref.accountId)
    }
  })()
  return accounts
}

function queue(
  db: MailDb,
  accountId: number,
  kind: 'flags' | 'move' | 'delete',
  messageId: number,
  imapPath: string,
  uidvalidity: number,
  uid: number,
  payload: object,
) {
  db.prepare(
    `INSERT INTO sync_actions (account_id, kind, message_id, imap_path, uidvalidity, uid, payload, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(accountId, kind, messageId, imapPath, uidvalidity, uid, JSON.stringify(payload), Date.now())
}

export function pendingActionCount(db: MailDb, accountId?: number): number {
  return (
    accountId === undefined
      ? db.prepare<[], { n: number }>('SELECT count(*) AS n FROM sync_actions').get()
      : db
          .prepare<[number], { n: number }>(
            'SELECT count(*) AS n FROM sync_actions WHERE account_id = ?',
          )
          .get(accountId)
  )!.n
}

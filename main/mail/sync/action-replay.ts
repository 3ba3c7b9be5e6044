import type { ImapFlow } from 'imapflow'
import { describeError } from '../../shared/errors.js'
import type { MailDb } from '../db/connection.js'
import { listRemoteFolders } from '../store/remote-folders.js'
import { remoteContentKey, remoteRefOf } from '../store/remote-messages.js'

interface ActionRow {
  id: number
  kind: 'flags' | 'move' | 'delete'
  message_id: number | null
  imap_path: string
  uidvalidity: number
  uid: number
  payload: string
  attempts: number
}

/** A server that answers NO to an action this many times gets the action dropped (and logged in the result). */
const MAX_ATTEMPTS = 5

export interface ReplayResult {
  replayed: number
  /** Actions kept for after the folder sync (their folder's UIDVALIDITY changed). */
  deferred: number
  dropped: { kind: string; reason: string }[]
}

/**
 * imapflow answers false for a NO or BAD (a target folder gone, over quota,
 * no right, flags the folder does not take): a refusal like any other,
 * retried then dropped and reported, neither a broken connection nor done.
 */
const refused = (what: string) =>
  Object.assign(new Error(`the server refused to ${what}`), { responseStatus: 'NO' })

/**
 * Replay the account's queued local actions to the server, oldest first.
 * An action leaves the queue only once the server confirmed it; a broken
 * connection stops the replay with the rest still queued. A move records
 * where the message landed (COPYUID), so the next sync of the target
 * folder recognises it instead of adding it twice.
 */
export async function replayActions(
  db: MailDb,
  client: ImapFlow,
  accountId: number,
): Promise<ReplayResult> {
  const result: ReplayResult = { replayed: 0, deferred: 0, dropped: [] }
  const actions = db
    .prepare<[number], ActionRow>(
      `SELECT id, kind, message_id, imap_path, uidvalidity, uid, payload, attempts
         FROM sync_actions WHERE account_id = ? ORDER BY id`,
    )
    .all(accountId)
  const done = db.prepare('DELETE FROM sync_actions WHERE id = ?')
  for (const queued of actions) {
    // A flag change or a move follows its message: after an earlier queued
    // move was replayed (or a UIDVALIDITY re-match), the server copy is
    // elsewhere (a move undone before it reached the server is a second move).
    const current =
      queued.kind !== 'delete' && queued.message_id !== null
        ? remoteRefOf(db, queued.message_id)
        : undefined
    const action = current
      ? {
          ...queued,
          imap_path: current.imapPath,
          uidvalidity: current.uidvalidity,
          uid: current.uid,
        }
      : queued
    const mailbox = await client
      .mailboxOpen(action.imap_path)
      .catch((error: { mailboxMissing?: boolean }) => {
        if (error.mailboxMissing) return null
        throw error
      })
    if (
      mailbox &&
      Number(mailbox.uidValidity) !== action.uidvalidity &&
      current &&
      current.uidvalidity === queued.uidvalidity &&
      current.imapPath === queued.imap_path
    ) {
      // UIDVALIDITY changed and the folder was not re-matched yet: the
      // message may well still be there. Kept queued; the folder sync
      // re-matches it by Message-ID, then the replay after it follows it.
      result.deferred++
      continue
    }
    if (!mailbox || Number(mailbox.uidValidity) !== action.uidvalidity) {
      // The server copy it named no longer exists as named: nothing left to do to it.
      done.run(action.id)
      result.dropped.push({
        kind: action.kind,
        reason: `${action.imap_path} changed on the server`,
      })
      continue
    }
    const payload = JSON.parse(action.payload) as { add?: string[]; remove?: string[]; to?: string }
    if (action.kind === 'move' && payload.to === action.imap_path) {
      // Already there (moved and moved back before either reached the server).
      done.run(action.id)
      result.replayed++
      continue
    }
    try {
      if (action.kind === 'flags') {
        if (
          payload.add?.length &&
          !(await client.messageFlagsAdd(String(action.uid), payload.add, { uid: true }))
        )
          throw refused('set the flags')
        if (
          payload.remove?.length &&
          !(await client.messageFlagsRemove(String(action.uid), payload.remove, { uid: true }))
        )
          throw refused('clear the flags')
        done.run(action.id)
      } else if (action.kind === 'delete') {
        if (!(await client.messageDelete(String(action.uid), { uid: true })))
          throw refused('delete the message')
        done.run(action.id)
      } else {
        const to = payload.to as string
        const moved = await client.messageMove(String(action.uid), to, { uid: true })
        if (moved === false) throw refused(`move the message to ${to}`)
        const newUid = moved.uidMap?.get(action.uid)
        db.transaction(() => {
          const target = listRemoteFolders(db, accountId).find((f) => f.imapPath === to)
          if (
            action.message_id !== null &&
            target &&
            newUid !== undefined &&
            moved.uidValidity !== undefined
          ) {
            const uidvalidity = Number(moved.uidValidity)
            db.prepare(
              'UPDATE remote_messages SET folder_id = ?, uidvalidity = ?, uid = ?, modseq = 0 WHERE message_id = ?',
            ).run(target.folderId, uidvalidity, newUid, action.message_id)
            db.prepare('UPDATE messages SET uid = ?, content_hash = ? WHERE id = ?').run(
              newUid,
              remoteContentKey(target.folderId, uidvalidity, newUid),
              action.message_id,
            )
          } else if (action.message_id !== null) {
            // No COPYUID: forget the old copy; the target's sync finds the message again.
            db.prepare('DELETE FROM remote_messages WHERE message_id = ?').run(action.message_id)
          }
          done.run(action.id)
        })()
      }
      result.replayed++
    } catch (error) {
      const e = error as { responseStatus?: string }
      if (e.responseStatus !== 'NO' && e.responseStatus !== 'BAD') throw error
      const attempts = action.attempts + 1
      if (attempts >= MAX_ATTEMPTS) {
        done.run(action.id)
        result.dropped.push({ kind: action.kind, reason: describeError(error) })
      } else {
        db.prepare('UPDATE sync_actions SET attempts = ?, last_error = ? WHERE id = ?').run(
          attempts,
          describeError(error),
          action.id,
        )
      }
    }
  }
  return result
}

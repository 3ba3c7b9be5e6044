import type { MailDb } from '../db/connection.js'
import { perConnection } from '../db/per-connection.js'
import { placeholderRows, rowsPerStatement } from '../db/rows-per-statement.js'
import type { Address } from '../types.js'
import { indexMessageTerms } from '../search/term-index.js'
import { messageWriter, type NewAttachment } from './messages.js'

/** A message as the header pass sees it: envelope, flags, size; no body yet. */
export interface RemoteHeader {
  uid: number
  /** 63-bit (RFC 7162), so a bigint; 0 when the server gave none. */
  modseq: bigint
  flags: string[]
  messageId: string
  inReplyTo: string
  references: string[]
  subject: string
  from: Address
  to: Address[]
  cc: Address[]
  date: number
  size: number
}

export interface RemoteMessageRef {
  messageId: number
  folderId: number
  uidvalidity: number
  uid: number
  state: 'headers' | 'full'
}

const SYSTEM_FLAGS = new Set(['\\Seen', '\\Flagged', '\\Answered', '\\Draft', '\\Recent'])

/** IMAP flags split into the columns the UI reads and the keywords kept as they are. */
export function splitFlags(flags: Iterable<string>) {
  const set = new Set(flags)
  return {
    seen: set.has('\\Seen'),
    flagged: set.has('\\Flagged'),
    answered: set.has('\\Answered'),
    draft: set.has('\\Draft'),
    keywords: [...set].filter((f) => !SYSTEM_FLAGS.has(f)).sort(),
  }
}

/** The synthetic content key of a synced message: unique per server copy, stable across body fetches. */
export function remoteContentKey(folderId: number, uidvalidity: number, uid: number): string {
  return `imap:${folderId}:${uidvalidity}:${uid}`
}

/**
 * The sync engine's hot-path statements, prepared once per connection (not
 * per folder sync: preparing them again cost about 10 ms of every
 * incremental sync).
 */
const remoteStatementsOf = perConnection((db) => {
  const insertMessage = messageWriter(db)
  const insertRemote = db.prepare(
    `INSERT INTO remote_messages (message_id, account_id, folder_id, uidvalidity, uid, modseq, keywords, state)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'headers')`,
  )
  const byUid = db.prepare<[number, number, number], { message_id: number; modseq: number }>(
    `SELECT message_id, modseq FROM remote_messages WHERE folder_id = ? AND uidvalidity = ? AND uid = ?`,
  )
  const setAnsweredDraft = db.prepare('UPDATE messages SET answered = ?, draft = ? WHERE id = ?')
  const setFlags = db.prepare(
    `UPDATE messages SET seen = @seen, flagged = @flagged, answered = @answered, draft = @draft
      WHERE id = @id AND (seen, flagged, answered, draft) IS NOT (@seen, @flagged, @answered, @draft)`,
  )
  const setRemoteFlags = db.prepare(
    'UPDATE remote_messages SET modseq = ?, keywords = ? WHERE message_id = ?',
  )
  const pendingFlags = db.prepare<[number], { n: number }>(
    `SELECT count(*) AS n FROM sync_actions WHERE message_id = ? AND kind = 'flags'`,
  )
  const pendingOnServerCopy = db.prepare<[number, string, number, number], { n: number }>(
    `SELECT count(*) AS n FROM sync_actions
      WHERE account_id = ? AND imap_path = ? AND uidvalidity = ? AND uid = ? AND kind IN ('move', 'delete')`,
  )
  const uidsOf = db.prepare<[number, number], { uid: number }>(
    'SELECT uid FROM remote_messages WHERE folder_id = ? AND uidvalidity = ? ORDER BY uid',
  )
  // (account, folder, uidvalidity, uid) is the unique key: its index answers this alone.
  const countOf = db.prepare<[number, number, number], { n: number }>(
    'SELECT count(*) AS n FROM remote_messages WHERE account_id = ? AND folder_id = ? AND uidvalidity = ?',
  )
  const deleteMessage = db.prepare('DELETE FROM messages WHERE id = ?')
  const anyPending = db.prepare<[number], { n: number }>(
    `SELECT count(*) AS n FROM sync_actions WHERE account_id = ? AND kind IN ('move', 'delete')`,
  )
  return {
    insertMessage,
    insertRemote,
    byUid,
    setAnsweredDraft,
    setFlags,
    setRemoteFlags,
    pendingFlags,
    pendingOnServerCopy,
    uidsOf,
    countOf,
    deleteMessage,
    anyPending,
  }
})

/** The sync engine's writes for one account; the statements are the connection's. */
export function remoteMessageStore(db: MailDb, accountId: number) {
  const statements = remoteStatementsOf(db)
  // Whether a queued move or delete could hide a server copy; asked once per
  // batch (most batches have none, and the per-message check is then skipped).
  let pendingChecked = 0
  let hasPending = true
  const mayBePending = () => {
    const now = Date.now()
    if (now - pendingChecked > 50) {
      hasPending = statements.anyPending.get(accountId)!.n > 0
      pendingChecked = now
    }
    return hasPending
  }

  return {
    /**
     * Store messages seen for the first time (headers only; call inside a
     * transaction). Returns how many were added: one already here, or whose
     * server copy a queued local move or delete still concerns (it must not
     * come back), is left out. The rows go in together (messageWriter's
     * `many`: one full-text index segment for them, not one each).
     */
    insertHeaders(
      folderId: number,
      imapPath: string,
      uidvalidity: number,
      headers: readonly RemoteHeader[],
    ): number {
      // A UID the server answered twice (a hostile server) counts once, as the first answer.
      const uids = new Set<number>()
      const fresh = headers.filter(
        (h) =>
          !uids.has(h.uid) &&
          uids.add(h.uid) &&
          !statements.byUid.get(folderId, uidvalidity, h.uid) &&
          !(
            mayBePending() &&
            statements.pendingOnServerCopy.get(accountId, imapPath, uidvalidity, h.uid)!.n > 0
          ),
      )
      const flags = fresh.map((h) => splitFlags(h.flags))
      const ids = statements.insertMessage.many(
        fresh.map((h, i) => ({
          folderId,
          uid: h.uid,
          messageId: h.messageId,
          contentHash: remoteContentKey(folderId, uidvalidity, h.uid),
          inReplyTo: h.inReplyTo,
          references: h.references,
          subject: h.subject,
          from: h.from,
          to: h.to,
          cc: h.cc,
          date: h.date,
          seen: flags[i]!.seen,
          flagged: flags[i]!.flagged,
          snippet: '',
          text: '',
          html: null,
          size: h.size,
          attachments: [],
        })),
      )
      let added = 0
      ids.forEach((id, i) => {
        if (id === null) return
        const h = fresh[i]!
        const f = flags[i]!
        if (f.answered || f.draft)
          statements.setAnsweredDraft.run(f.answered ? 1 : 0, f.draft ? 1 : 0, id)
        statements.insertRemote.run(
          id,
          accountId,
          folderId,
          uidvalidity,
          h.uid,
          h.modseq,
          JSON.stringify(f.keywords),
        )
        added++
      })
      return added
    },

    /** The server's flags win, except over a local flag change that is still queued. */
    applyFlags(
      folderId: number,
      uidvalidity: number,
      uid: number,
      flags: string[],
      modseq: bigint,
    ): boolean {
      const row = statements.byUid.get(folderId, uidvalidity, uid)
      if (!row) return false
      if (statements.pendingFlags.get(row.message_id)!.n > 0) return false
      const f = splitFlags(flags)
      statements.setRemoteFlags.run(modseq, JSON.stringify(f.keywords), row.message_id)
      return (
        statements.setFlags.run({
          id: row.message_id,
          seen: f.seen ? 1 : 0,
          flagged: f.flagged ? 1 : 0,
          answered: f.answered ? 1 : 0,
          draft: f.draft ? 1 : 0,
        }).changes > 0
      )
    },

    /** Messages gone from the server folder go locally too. */
    removeUids(folderId: number, uidvalidity: number, uids: Iterable<number>): number {
      let removed = 0
      for (const uid of uids) {
        const row = statements.byUid.get(folderId, uidvalidity, uid)
        if (row) removed += statements.deleteMessage.run(row.message_id).changes
      }
      return removed
    },

    countUids(folderId: number, uidvalidity: number): number {
      return statements.countOf.get(accountId, folderId, uidvalidity)!.n
    },

    localUids(folderId: number, uidvalidity: number): number[] {
      return statements.uidsOf.all(folderId, uidvalidity).map((r) => r.uid)
    },
  }
}

/** The columns each message's text fills, after its id, in the order storeBodies binds them. */
const TEXT_COLUMNS = ['snippet', 'body_text', 'body_html', 'has_attachments', 'parse_note']

/** Texts updated per statement at most. */
const TEXTS_PER_STATEMENT = 128

const bodyStatementsOf = perConnection((db) => ({
  clearAttachments: db.prepare('DELETE FROM attachments WHERE message_id = ?'),
  attachment: db.prepare(`
      INSERT INTO attachments (message_id, filename, mime_type, size, sha256, content_id, disposition)
      VALUES (?, ?, ?, ?, ?, ?, ?)`),
  full: db.prepare(
    `UPDATE remote_messages SET state = 'full', source_sha256 = ? WHERE message_id = ?`,
  ),
  heading: db.prepare<[number], { subject: string; participants: string }>(
    'SELECT subject, participants FROM messages WHERE id = ?',
  ),
  /**
   * The texts of many messages in one `UPDATE … FROM (VALUES …)`. Each
   * per-message UPDATE (its FTS triggers make it a multi-row write) and the
   * remote_messages update (a foreign key check) opened a statement
   * journal, so FTS5 wrote a segment per message, then merged them again
   * and again: 0.4–0.7 ms per message of a first sync (rows-per-statement.ts).
   */
  texts: rowsPerStatement(
    (n) =>
      db.prepare(
        `UPDATE messages SET ${TEXT_COLUMNS.map((c, i) => `${c} = b.column${i + 2}`).join(', ')}
           FROM (VALUES ${placeholderRows(n, 1 + TEXT_COLUMNS.length)}) AS b
          WHERE messages.id = b.column1`,
      ),
    TEXTS_PER_STATEMENT,
  ),
}))

/** What a body pass stores for one message whose headers are already stored. */
export interface BodyToStore {
  sourceSha256: string
  snippet: string
  text: string
  html: string | null
  attachments: NewAttachment[]
  parseNote?: string | null
}

/** Body and attachments of a message whose headers are already stored. */
export function storeBody(db: MailDb, messageId: number, body: BodyToStore): void {
  storeBodies(db, [{ messageId, body }])
}

/**
 * Bodies and attachments of several messages whose headers are already
 * stored (call inside a transaction): the per-message rows first, then the
 * texts in as few statements as possible (`texts` above), then the
 * term index.
 */
export function storeBodies(
  db: MailDb,
  items: readonly { messageId: number; body: BodyToStore }[],
): void {
  const s = bodyStatementsOf(db)
  for (const { messageId, body } of items) {
    s.clearAttachments.run(messageId)
    for (const a of body.attachments)
      s.attachment.run(
        messageId,
        a.filename,
        a.mimeType,
        a.size,
        a.sha256,
        a.contentId,
        a.disposition,
      )
    s.full.run(body.sourceSha256, messageId)
  }
  s.texts.forEachSlice(items, (statement, slice) =>
    statement.run(
      slice.flatMap(({ messageId, body }) => [
        messageId,
        body.snippet,
        body.text,
        body.html,
        body.attachments.some((a) => a.disposition === 'attachment') ? 1 : 0,
        body.parseNote ?? null,
      ]),
    ),
  )
  for (const { messageId, body } of items) {
    const heading = s.heading.get(messageId)
    indexMessageTerms(db, messageId, {
      subject: heading?.subject ?? '',
      participants: heading?.participants ?? '',
      text: body.text,
      attachmentNames: body.attachments.map((a) => a.filename),
    })
  }
}

export interface BodyCandidate {
  messageId: number
  uid: number
  uidvalidity: number
  size: number
  /** The Message-ID the server's envelope gave ('' when none), to check the source against. */
  headerMessageId: string
}

/** Messages still without a body, newest first (what the user most likely opens next), below a UID. */
export function messagesNeedingBodies(
  db: MailDb,
  folderId: number,
  limit: number,
  belowUid = Number.MAX_SAFE_INTEGER,
): BodyCandidate[] {
  return db
    .prepare<[number, number, number], BodyCandidate>(
      `SELECT r.message_id AS messageId, r.uid, r.uidvalidity, m.size, m.message_id AS headerMessageId
         FROM remote_messages r JOIN messages m ON m.id = r.message_id
        WHERE r.folder_id = ? AND r.state = 'headers' AND r.body_error IS NULL AND r.uid < ?
        ORDER BY r.uid DESC LIMIT ?`,
    )
    .all(folderId, belowUid, limit)
}

/** The body candidate for one message (the user opened it), if its body is still missing. */
export function bodyCandidate(db: MailDb, messageId: number): BodyCandidate | undefined {
  return db
    .prepare<[number], BodyCandidate>(
      `SELECT r.message_id AS messageId, r.uid, r.uidvalidity, m.size, m.message_id AS headerMessageId
         FROM remote_messages r JOIN messages m ON m.id = r.message_id
        WHERE r.message_id = ? AND r.state = 'headers' AND r.body_error IS NULL`,
    )
    .get(messageId)
}

export function markBodyUnavailable(db: MailDb, messageId: number, reason: string): void {
  db.prepare('UPDATE remote_messages SET body_error = ? WHERE message_id = ?').run(
    reason,
    messageId,
  )
}

export function remoteRefOf(
  db: MailDb,
  messageId: number,
): (RemoteMessageRef & { imapPath: string; accountId: number }) | undefined {
  return db
    .prepare<[number], RemoteMessageRef & { imapPath: string; accountId: number }>(
      `SELECT r.message_id AS messageId, r.folder_id AS folderId, r.uidvalidity, r.uid, r.state,
              f.imap_path AS imapPath, r.account_id AS accountId
         FROM remote_messages r JOIN remote_folders f ON f.folder_id = r.folder_id
        WHERE r.message_id = ?`,
    )
    .get(messageId)
}

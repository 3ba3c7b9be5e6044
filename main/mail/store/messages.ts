import type { MailDb } from '../db/connection.js'
import { placeholderRows, rowsPerStatement } from '../db/rows-per-statement.js'
import { indexMessageTerms } from '../search/term-index.js'
import { refsOf } from '../threads/thread-links.js'
import type { Address, ListCursor, MessagePage, MessageSummary } from '../types.js'

export interface NewAttachment {
  filename: string
  mimeType: string
  size: number
  sha256: string
  contentId: string | null
  disposition: 'attachment' | 'inline'
}

export interface NewMessage {
  folderId: number
  uid?: number | null
  messageId: string
  contentHash: string
  inReplyTo: string
  references: string[]
  subject: string
  from: Address
  to: Address[]
  cc: Address[]
  date: number
  seen: boolean
  flagged: boolean
  snippet: string
  text: string
  html: string | null
  size: number
  attachments: NewAttachment[]
  /** The raw message in message_sources (imported mail; synced mail keeps it in remote_messages). */
  sourceSha256?: string | null
  /** What was wrong with a damaged message's structure. */
  parseNote?: string | null
}

export interface SummaryRow {
  id: number
  folder_id: number
  thread_id: number | null
  subject: string
  from_name: string
  from_address: string
  date: number
  seen: number
  flagged: number
  has_attachments: number
  snippet: string
  size: number
}

export const summaryColumns = `m.id, m.folder_id, m.thread_id, m.subject, m.from_name, m.from_address,
  m.date, m.seen, m.flagged, m.has_attachments, m.snippet, m.size`

export function toSummary(row: SummaryRow): MessageSummary {
  return {
    id: row.id,
    folderId: row.folder_id,
    threadId: row.thread_id,
    subject: row.subject,
    from: { name: row.from_name, address: row.from_address },
    date: row.date,
    seen: row.seen === 1,
    flagged: row.flagged === 1,
    hasAttachments: row.has_attachments === 1,
    snippet: row.snippet,
    size: row.size,
  }
}

/** The columns a new message fills, in the order rowValues gives them. */
const INSERT_COLUMNS = `folder_id, uid, message_id, content_hash, in_reply_to, references_json, subject,
  from_name, from_address, to_json, cc_json, participants, date, seen, flagged,
  snippet, body_text, body_html, size, has_attachments, source_sha256, parse_note`
const COLUMN_COUNT = INSERT_COLUMNS.split(',').length

function rowValues(message: NewMessage): unknown[] {
  return [
    message.folderId,
    message.uid ?? null,
    message.messageId,
    message.contentHash,
    message.inReplyTo,
    JSON.stringify(message.references),
    message.subject,
    message.from.name,
    message.from.address,
    JSON.stringify(message.to),
    JSON.stringify(message.cc),
    participantsText([message.from, ...message.to, ...message.cc]),
    message.date,
    message.seen ? 1 : 0,
    message.flagged ? 1 : 0,
    message.snippet,
    message.text,
    message.html,
    message.size,
    message.attachments.some((a) => a.disposition === 'attachment') ? 1 : 0,
    message.sourceSha256 ?? null,
    message.parseNote ?? null,
  ]
}

/** What makes a message a duplicate in its folder: the table's UNIQUE key. */
const uniqueKey = (folderId: number, messageId: string, contentHash: string) =>
  `${folderId}\0${messageId}\0${contentHash}`

/** Rows per INSERT at most. */
const ROWS_PER_INSERT = 64

/**
 * Prepared statements for writing messages, made once per connection: an
 * import inserts thousands of rows per second through them.
 *
 * Several messages go in with one multi-row INSERT (`many`): FTS5 writes
 * what it buffered as a new index segment whenever a statement opens a
 * statement journal, which every insert does (its triggers, a foreign
 * key), and so does the thread link after it; one INSERT per message made
 * a segment per message, merged again and again (see storeBodies).
 */
export function messageWriter(db: MailDb) {
  const inserts = rowsPerStatement(
    (n) =>
      db.prepare(
        `INSERT OR IGNORE INTO messages (${INSERT_COLUMNS})
         VALUES ${placeholderRows(n, COLUMN_COUNT)}
         RETURNING id, folder_id, message_id, content_hash`,
      ),
    ROWS_PER_INSERT,
  )
  const linkThread = threadLinker(db)
  const insertAttachment = db.prepare(`
    INSERT INTO attachments (message_id, filename, mime_type, size, sha256, content_id, disposition)
    VALUES (?, ?, ?, ?, ?, ?, ?)`)
  const upsertContact = db.prepare(`
    INSERT INTO contacts (address, name, message_count, last_seen) VALUES (?, ?, 1, ?)
    ON CONFLICT (address) DO UPDATE SET
      message_count = message_count + 1,
      name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE contacts.name END,
      last_seen = max(coalesce(contacts.last_seen, 0), excluded.last_seen)`)

  /** Its thread, attachments, search terms and contacts: what follows a new message's row. */
  const complete = (id: number, message: NewMessage) => {
    linkThread(id, message.messageId, refsOf(message))
    for (const a of message.attachments) {
      insertAttachment.run(id, a.filename, a.mimeType, a.size, a.sha256, a.contentId, a.disposition)
    }
    indexMessageTerms(db, id, {
      subject: message.subject,
      participants: participantsText([message.from, ...message.to, ...message.cc]),
      text: message.text,
      attachmentNames: message.attachments.map((a) => a.filename),
    })
    for (const person of [message.from, ...message.to, ...message.cc]) {
      if (person.address) upsertContact.run(person.address, person.name, message.date)
    }
  }

  /**
   * Insert messages (call inside a transaction); returns each one's id, or
   * null when its folder already has it (or an earlier one of the same
   * call is it). Rows first, all of them, then each one's thread and the
   * rest, in order: a thread link sees exactly the messages before it, as
   * one insert at a time did (later rows have no thread yet, and the link
   * query skips rows without one).
   */
  const many = (messages: readonly NewMessage[]): (number | null)[] => {
    const ids: (number | null)[] = messages.map(() => null)
    const fresh: number[] = [] // indexes of the first message of each key
    const seen = new Set<string>()
    messages.forEach((m, i) => {
      const key = uniqueKey(m.folderId, m.messageId, m.contentHash)
      if (seen.has(key)) return
      seen.add(key)
      fresh.push(i)
    })
    const stored = new Map<string, number>()
    inserts.forEachSlice(fresh, (statement, slice) => {
      const rows = statement.all(slice.flatMap((i) => rowValues(messages[i] as NewMessage))) as {
        id: number
        folder_id: number
        message_id: string
        content_hash: string
      }[]
      for (const r of rows) stored.set(uniqueKey(r.folder_id, r.message_id, r.content_hash), r.id)
    })
    for (const i of fresh) {
      const m = messages[i] as NewMessage
      const id = stored.get(uniqueKey(m.folderId, m.messageId, m.contentHash))
      if (id === undefined) continue
      ids[i] = id
      complete(id, m)
    }
    return ids
  }

  /**
   * Insert a message; returns its id, or null when the folder already has
   * it. Its own plain INSERT, not `many` of one (RETURNING costs a fifth
   * more per row); the import and sync store through `many`.
   */
  const insertOne = db.prepare(`INSERT OR IGNORE INTO messages (${INSERT_COLUMNS})
    VALUES ${placeholderRows(1, COLUMN_COUNT)}`)
  const insertMessage = (message: NewMessage): number | null => {
    const result = insertOne.run(rowValues(message))
    if (result.changes === 0) return null
    const id = Number(result.lastInsertRowid)
    complete(id, message)
    return id
  }
  return Object.assign(insertMessage, { many })
}

/**
 * Put a newly stored message into its conversation (threads/thread-links.ts):
 * the thread of any message it names or that names it, or that shares a
 * reference with it; when that joins several threads, they become one (the
 * oldest id wins). Returns the thread id.
 */
export function threadLinker(db: MailDb) {
  const insertRef = db.prepare('INSERT OR IGNORE INTO message_refs (message_id, ref) VALUES (?, ?)')
  const related = db.prepare<[string, string], { thread_id: number }>(
    `SELECT thread_id FROM messages
      WHERE message_id IN (SELECT value FROM json_each(?)) AND thread_id IS NOT NULL
     UNION
     SELECT m.thread_id FROM message_refs r JOIN messages m ON m.id = r.message_id
      WHERE r.ref IN (SELECT value FROM json_each(?)) AND m.thread_id IS NOT NULL`,
  )
  const setThread = db.prepare('UPDATE messages SET thread_id = ? WHERE id = ?')
  const mergeThread = db.prepare('UPDATE messages SET thread_id = ? WHERE thread_id = ?')
  return (id: number, messageId: string, refs: string[]): number => {
    for (const ref of refs) insertRef.run(id, ref)
    const ids = JSON.stringify(messageId ? [...refs, messageId] : refs)
    const threads = ids === '[]' ? [] : related.all(ids, ids).map((r) => r.thread_id)
    const keep = Math.min(id, ...threads)
    setThread.run(keep, id)
    for (const other of new Set(threads)) if (other !== keep) mergeThread.run(keep, other)
    return keep
  }
}

export function participantsText(people: Address[]): string {
  return people
    .map((p) => `${p.name} ${p.address}`.trim())
    .filter((p) => p.length > 0)
    .join(' ')
}

/**
 * One page of a folder, newest first. Pages follow each other by keyset (the
 * last row's date and id), which costs the same on page 1 and page 1,500. To
 * jump far into a folder (a scrollbar dragged to the middle), `offset` seeks
 * to a position once on the covering index; paging continues by keyset.
 */
export function listMessages(
  db: MailDb,
  folderId: number,
  options: { cursor?: ListCursor | undefined; offset?: number | undefined; limit: number },
): MessagePage {
  const { limit } = options
  let rows: SummaryRow[]
  if (options.cursor) {
    rows = db
      .prepare<[number, number, number, number], SummaryRow>(
        `SELECT ${summaryColumns} FROM messages m
          WHERE m.folder_id = ? AND (m.date, m.id) < (?, ?)
          ORDER BY m.date DESC, m.id DESC LIMIT ?`,
      )
      .all(folderId, options.cursor.date, options.cursor.id, limit)
  } else if (options.offset) {
    const start = db
      .prepare<[number, number], ListCursor>(
        `SELECT date, id FROM messages WHERE folder_id = ?
          ORDER BY date DESC, id DESC LIMIT 1 OFFSET ?`,
      )
      .get(folderId, options.offset)
    if (!start) return { messages: [], next: null }
    rows = db
      .prepare<[number, number, number, number], SummaryRow>(
        `SELECT ${summaryColumns} FROM messages m
          WHERE m.folder_id = ? AND (m.date, m.id) <= (?, ?)
          ORDER BY m.date DESC, m.id DESC LIMIT ?`,
      )
      .all(folderId, start.date, start.id, limit)
  } else {
    rows = db
      .prepare<[number, number], SummaryRow>(
        `SELECT ${summaryColumns} FROM messages m WHERE m.folder_id = ?
          ORDER BY m.date DESC, m.id DESC LIMIT ?`,
      )
      .all(folderId, limit)
  }
  const last = rows[rows.length - 1]
  return {
    messages: rows.map(toSummary),
    next: rows.length === limit && last ? { date: last.date, id: last.id } : null,
  }
}

export interface MessageRow extends SummaryRow {
  message_id: string
  to_json: string
  cc_json: string
  body_text: string
  body_html: string | null
  parse_note: string | null
  source_sha256: string | null
  body_error: string | null
}

export function getMessageRow(db: MailDb, id: number): MessageRow | undefined {
  return db
    .prepare<[number], MessageRow>(
      `SELECT ${summaryColumns}, m.message_id, m.to_json, m.cc_json, m.body_text, m.body_html,
              m.parse_note, coalesce(m.source_sha256, r.source_sha256) AS source_sha256, r.body_error
         FROM messages m LEFT JOIN remote_messages r ON r.message_id = m.id WHERE m.id = ?`,
    )
    .get(id)
}

export interface AttachmentRow {
  id: number
  filename: string
  mime_type: string
  size: number
  sha256: string
  content_id: string | null
  disposition: 'attachment' | 'inline'
}

export function getAttachmentRows(db: MailDb, messageId: number): AttachmentRow[] {
  return db
    .prepare<[number], AttachmentRow>(
      `SELECT id, filename, mime_type, size, sha256, content_id, disposition
         FROM attachments WHERE message_id = ? ORDER BY id`,
    )
    .all(messageId)
}

export function setSeen(db: MailDb, id: number, seen: boolean): boolean {
  return (
    db
      .prepare('UPDATE messages SET seen = ? WHERE id = ? AND seen <> ?')
      .run(seen ? 1 : 0, id, seen ? 1 : 0).changes > 0
  )
}

export function countMessages(db: MailDb): number {
  return (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n
}

import type { MailDb } from '../db/connection.js'
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

/**
 * Prepared statements for writing messages, made once per connection: an
 * import inserts thousands of rows per second through them.
 */
export function messageWriter(db: MailDb) {
  const insert = db.prepare(`
    INSERT OR IGNORE INTO messages (
      folder_id, uid, message_id, content_hash, in_reply_to, references_json, subject,
      from_name, from_address, to_json, cc_json, participants, date, seen, flagged,
      snippet, body_text, body_html, size, has_attachments, source_sha256, parse_note)
    VALUES (
      @folderId, @uid, @messageId, @contentHash, @inReplyTo, @referencesJson, @subject,
      @fromName, @fromAddress, @toJson, @ccJson, @participants, @date, @seen, @flagged,
      @snippet, @text, @html, @size, @hasAttachments, @sourceSha256, @parseNote)`)
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

  /** Insert a message; returns its id, or null when the folder already has it. */
  return function insertMessage(message: NewMessage): number | null {
    const result = insert.run({
      folderId: message.folderId,
      uid: message.uid ?? null,
      messageId: message.messageId,
      contentHash: message.contentHash,
      inReplyTo: message.inReplyTo,
      referencesJson: JSON.stringify(message.references),
      subject: message.subject,
      fromName: message.from.name,
      fromAddress: message.from.address,
      toJson: JSON.stringify(message.to),
      ccJson: JSON.stringify(message.cc),
      participants: participantsText([message.from, ...message.to, ...message.cc]),
      date: message.date,
      seen: message.seen ? 1 : 0,
      flagged: message.flagged ? 1 : 0,
      snippet: message.snippet,
      text: message.text,
      html: message.html,
      size: message.size,
      hasAttachments: message.attachments.some((a) => a.disposition === 'attachment') ? 1 : 0,
      sourceSha256: message.sourceSha256 ?? null,
      parseNote: message.parseNote ?? null,
    })
    if (result.changes === 0) return null
    const id = Number(result.lastInsertRowid)
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
    return id
  }
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

import type { MailDb } from '../../mail/db/connection.js'
import { cached } from './statements.js'
import type { ChatAttachmentView, ChatMessageView, MessageState } from '../types.js'

export interface NewChatMessage {
  chatId: number
  direction: 'in' | 'out'
  /** Bare JID of the author (direct chats) or their nickname (group chats). */
  sender: string
  originId: string | null
  archiveId: string | null
  body: string
  sentAt: number
  receivedAt: number
  state: MessageState
  seen: boolean
  /** Where it goes in the conversation: after the newest (live, catch-up) or before the oldest (scroll-back). */
  place: 'end' | 'start'
}

export interface StoreResult {
  id: number
  /** False when the message was already stored (by origin id or archive id). */
  inserted: boolean
}

/**
 * Store a message once. The same message reaches Cairn several ways (live,
 * as a carbon, again after a failed stream resumption, from the archive),
 * always with the sender's id; the archive adds its own id. A message seen
 * before under either id is not stored again: it only gains its archive id.
 */
export function storeChatMessage(db: MailDb, message: NewChatMessage): StoreResult {
  if (message.originId !== null) {
    const byOrigin = cached<[number, string, string], { id: number; archive_id: string | null }>(
      db,
      'SELECT id, archive_id FROM chat_messages WHERE chat_id = ? AND sender = ? AND origin_id = ?',
    ).get(message.chatId, message.sender, message.originId)
    if (byOrigin) {
      if (
        message.archiveId !== null &&
        byOrigin.archive_id === null &&
        !archiveIdTaken(db, message.chatId, message.archiveId)
      )
        cached(db, 'UPDATE chat_messages SET archive_id = ? WHERE id = ?').run(
          message.archiveId,
          byOrigin.id,
        )
      return { id: byOrigin.id, inserted: false }
    }
  }
  if (message.archiveId !== null) {
    const byArchive = cached<[number, string], { id: number }>(
      db,
      'SELECT id FROM chat_messages WHERE chat_id = ? AND archive_id = ?',
    ).get(message.chatId, message.archiveId)
    if (byArchive) return { id: byArchive.id, inserted: false }
  }
  const ord =
    message.place === 'end'
      ? (cached<[number], { o: number | null }>(
          db,
          'SELECT max(ord) AS o FROM chat_messages WHERE chat_id = ?',
        ).get(message.chatId)?.o ?? 0) + 1
      : (cached<[number], { o: number | null }>(
          db,
          'SELECT min(ord) AS o FROM chat_messages WHERE chat_id = ?',
        ).get(message.chatId)?.o ?? 1) - 1
  const id = Number(
    cached(
      db,
      `INSERT INTO chat_messages (chat_id, ord, direction, sender, origin_id, archive_id, body, sent_at, received_at, state, seen)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      message.chatId,
      ord,
      message.direction,
      message.sender,
      message.originId,
      message.archiveId,
      message.body,
      message.sentAt,
      message.receivedAt,
      message.state,
      message.seen ? 1 : 0,
    ).lastInsertRowid,
  )
  return { id, inserted: true }
}

function archiveIdTaken(db: MailDb, chatId: number, archiveId: string): boolean {
  return !!cached(db, 'SELECT 1 FROM chat_messages WHERE chat_id = ? AND archive_id = ?').get(
    chatId,
    archiveId,
  )
}

const ORDER: Record<MessageState, number> = {
  failed: 0,
  queued: 1,
  sent: 2,
  received: 2,
  delivered: 3,
  read: 4,
}

/** Move an outgoing message forward (queued → sent → delivered → read); never backwards. */
export function advanceState(db: MailDb, messageId: number, state: MessageState): boolean {
  const row = cached<[number], { state: MessageState }>(
    db,
    'SELECT state FROM chat_messages WHERE id = ?',
  ).get(messageId)
  if (!row || ORDER[row.state] >= ORDER[state]) return false
  cached(db, 'UPDATE chat_messages SET state = ?, error = NULL WHERE id = ?').run(state, messageId)
  return true
}

export function failMessage(db: MailDb, messageId: number, error: string): void {
  cached(
    db,
    `UPDATE chat_messages SET state = 'failed', error = ? WHERE id = ? AND state IN ('queued', 'sent')`,
  ).run(error.slice(0, 500), messageId)
}

/** Our outgoing message with this id in a chat. */
export function findOutgoing(
  db: MailDb,
  chatId: number,
  originId: string,
): { id: number; ord: number } | null {
  return (
    cached<[number, string], { id: number; ord: number }>(
      db,
      `SELECT id, ord FROM chat_messages WHERE chat_id = ? AND direction = 'out' AND origin_id = ?`,
    ).get(chatId, originId) ?? null
  )
}

/** A chat marker (XEP-0333) means "read up to here": every earlier outgoing message is read too. */
export function markReadUpTo(db: MailDb, chatId: number, ord: number): number {
  return cached(
    db,
    `UPDATE chat_messages SET state = 'read', error = NULL
        WHERE chat_id = ? AND direction = 'out' AND ord <= ? AND state IN ('queued', 'sent', 'delivered')`,
  ).run(chatId, ord).changes
}

/** Mark incoming messages of a chat seen; returns the newest one's id and origin id (for a marker). */
export function markSeen(db: MailDb, chatId: number, upToOrd?: number) {
  const last = cached<
    [number, number],
    { id: number; origin_id: string | null; ord: number; sender: string }
  >(
    db,
    `SELECT id, origin_id, ord, sender FROM chat_messages WHERE chat_id = ? AND direction = 'in' AND ord <= ?
        ORDER BY ord DESC LIMIT 1`,
  ).get(chatId, upToOrd ?? Number.MAX_SAFE_INTEGER)
  const changed = cached(
    db,
    `UPDATE chat_messages SET seen = 1 WHERE chat_id = ? AND direction = 'in' AND seen = 0 AND ord <= ?`,
  ).run(chatId, upToOrd ?? Number.MAX_SAFE_INTEGER).changes
  return { last: last ?? null, changed }
}

export function queuedMessages(db: MailDb, accountId: number) {
  return cached<
    [number],
    {
      id: number
      chat_id: number
      origin_id: string
      body: string
      peer: string
      kind: string
      url: string | null
    }
  >(
    db,
    `SELECT m.id, m.chat_id, m.origin_id, m.body, c.peer, c.kind,
              (SELECT url FROM chat_attachments a WHERE a.message_id = m.id LIMIT 1) AS url
         FROM chat_messages m JOIN chats c ON c.id = m.chat_id
        WHERE m.state = 'queued' AND c.account_id = ? ORDER BY m.id`,
  ).all(accountId)
}

interface MessageRow {
  id: number
  chat_id: number
  direction: 'in' | 'out'
  sender: string
  origin_id: string | null
  archive_id: string | null
  body: string
  sent_at: number
  received_at: number
  state: MessageState
  seen: number
  error: string | null
  ord: number
}

const messageColumns =
  'id, chat_id, direction, sender, origin_id, archive_id, body, sent_at, received_at, state, seen, error, ord'

/** The newest `limit` messages of a chat (older than `beforeOrd` when given), oldest first. */
export function chatHistory(
  db: MailDb,
  chatId: number,
  options: { limit: number; beforeId?: number },
): ChatMessageView[] {
  const before =
    options.beforeId === undefined
      ? Number.MAX_SAFE_INTEGER
      : (cached<[number], { ord: number }>(db, 'SELECT ord FROM chat_messages WHERE id = ?').get(
          options.beforeId,
        )?.ord ?? Number.MAX_SAFE_INTEGER)
  const rows = cached<[number, number, number], MessageRow>(
    db,
    `SELECT ${messageColumns} FROM chat_messages WHERE chat_id = ? AND ord < ? ORDER BY ord DESC LIMIT ?`,
  )
    .all(chatId, before, options.limit)
    .reverse()
  const attachments = attachmentsFor(
    db,
    rows.map((r) => r.id),
  )
  return rows.map((row) => ({
    id: row.id,
    chatId: row.chat_id,
    direction: row.direction,
    sender: row.sender,
    originId: row.origin_id,
    archiveId: row.archive_id,
    body: row.body,
    sentAt: row.sent_at,
    receivedAt: row.received_at,
    state: row.state,
    seen: row.seen === 1,
    error: row.error,
    attachments: attachments.get(row.id) ?? [],
  }))
}

/** The oldest archive id stored for a chat (where scrolling back continues), if any. */
export function oldestArchiveId(db: MailDb, chatId: number): string | null {
  return (
    cached<[number], { archive_id: string }>(
      db,
      'SELECT archive_id FROM chat_messages WHERE chat_id = ? AND archive_id IS NOT NULL ORDER BY ord ASC LIMIT 1',
    ).get(chatId)?.archive_id ?? null
  )
}

export function addAttachment(
  db: MailDb,
  messageId: number,
  attachment: {
    url: string
    filename: string
    mimeType: string
    size: number | null
    sha256?: string | null
  },
): number {
  const existing = cached<[number, string], { id: number }>(
    db,
    'SELECT id FROM chat_attachments WHERE message_id = ? AND url = ?',
  ).get(messageId, attachment.url)
  if (existing) return existing.id
  return Number(
    cached(
      db,
      `INSERT INTO chat_attachments (message_id, url, filename, mime_type, size, sha256, state) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      messageId,
      attachment.url,
      attachment.filename,
      attachment.mimeType,
      attachment.size,
      attachment.sha256 ?? null,
      attachment.sha256 ? 'stored' : 'remote',
    ).lastInsertRowid,
  )
}

export function setAttachmentStored(db: MailDb, id: number, sha256: string, size: number): void {
  cached(db, `UPDATE chat_attachments SET sha256 = ?, size = ?, state = 'stored' WHERE id = ?`).run(
    sha256,
    size,
    id,
  )
}

export function setAttachmentFailed(db: MailDb, id: number): void {
  cached(db, `UPDATE chat_attachments SET state = 'failed' WHERE id = ? AND state = 'remote'`).run(
    id,
  )
}

export function getAttachment(db: MailDb, id: number): ChatAttachmentView | null {
  const row = cached<[number], AttachmentRow>(
    db,
    'SELECT id, message_id, url, filename, mime_type, size, sha256, state FROM chat_attachments WHERE id = ?',
  ).get(id)
  return row ? toAttachment(row) : null
}

interface AttachmentRow {
  id: number
  message_id: number
  url: string
  filename: string
  mime_type: string
  size: number | null
  sha256: string | null
  state: 'remote' | 'stored' | 'failed'
}

function toAttachment(row: AttachmentRow): ChatAttachmentView {
  return {
    id: row.id,
    url: row.url,
    filename: row.filename,
    mimeType: row.mime_type,
    size: row.size,
    sha256: row.sha256,
    state: row.state,
  }
}

function attachmentsFor(db: MailDb, messageIds: number[]): Map<number, ChatAttachmentView[]> {
  const map = new Map<number, ChatAttachmentView[]>()
  if (messageIds.length === 0) return map
  const rows = cached<[string], AttachmentRow>(
    db,
    `SELECT id, message_id, url, filename, mime_type, size, sha256, state FROM chat_attachments
        WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY id`,
  ).all(JSON.stringify(messageIds))
  for (const row of rows) {
    const list = map.get(row.message_id) ?? []
    list.push(toAttachment(row))
    map.set(row.message_id, list)
  }
  return map
}

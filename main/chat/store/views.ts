import type { MailDb } from '../../mail/db/connection.js'
import type { ChatAttachmentView, ChatKind, ChatMessageView } from '../types.js'

/**
 * What the chat view reads, shaped for the screen: conversations with a
 * preview of their last message, pages of a conversation with long bodies
 * cut, slices of one long body. They run in the read workers (main/mail/read),
 * each on its own read-only connection, so a 10 MB message is never copied
 * whole on the thread serving the UI, nor sent whole to the renderer.
 */

/** Characters of a body sent with a page; the rest comes on request (messageText). */
export const PAGE_BODY_CHARS = 4_000
/** Characters of the last message shown under a conversation's name. */
const PREVIEW_CHARS = 120

export interface ChatListItem {
  id: number
  accountId: number
  peer: string
  kind: ChatKind
  name: string
  nick: string | null
  joined: boolean
  unread: number
  lastMessageAt: number | null
  /** The newest message's first characters (empty for a chat without messages). */
  preview: string
  previewDirection: 'in' | 'out' | null
  previewSender: string | null
  /** The name of the file the newest message shares, if it shares one. */
  previewFile: string | null
}

export function chatList(db: MailDb, limit = 2000): ChatListItem[] {
  return db
    .prepare<
      [number, number],
      Omit<ChatListItem, 'joined' | 'previewDirection'> & {
        joined: number
        previewDirection: 'in' | 'out' | null
      }
    >(
      `SELECT c.id, c.account_id AS accountId, c.peer, c.kind,
              coalesce(nullif(c.name, ''), (SELECT k.name FROM chat_contacts k
                 WHERE k.account_id = c.account_id AND k.jid = c.peer), '') AS name,
              c.nick, c.joined, c.unread,
              c.last_message_at AS lastMessageAt,
              coalesce(substr(m.body, 1, ?), '') AS preview, m.direction AS previewDirection,
              m.sender AS previewSender,
              (SELECT filename FROM chat_attachments a WHERE a.message_id = m.id ORDER BY a.id LIMIT 1)
                AS previewFile
         FROM chats c
         LEFT JOIN chat_messages m ON m.id = (
           SELECT id FROM chat_messages WHERE chat_id = c.id ORDER BY ord DESC LIMIT 1)
        ORDER BY coalesce(c.last_message_at, c.created_at) DESC, c.id DESC
        LIMIT ?`,
    )
    .all(PREVIEW_CHARS, limit)
    .map((row) => ({ ...row, joined: row.joined === 1 }))
}

/** A message as a conversation page carries it: the body cut to `bodyChars`, with its full length. */
export interface ChatPageMessage extends ChatMessageView {
  /** Position in the conversation (the store's order). */
  ord: number
  /** Length of the whole body in characters; more than body.length when it was cut. */
  bodyLength: number
}

interface PageRow {
  id: number
  chat_id: number
  ord: number
  direction: 'in' | 'out'
  sender: string
  origin_id: string | null
  archive_id: string | null
  body: string
  body_length: number
  sent_at: number
  received_at: number
  state: ChatMessageView['state']
  seen: number
  error: string | null
}

/**
 * Up to `limit` messages of a chat, oldest first: the newest ones, or those
 * before message `beforeId`. Bodies are cut to `bodyChars` characters.
 */
export function chatPage(
  db: MailDb,
  chatId: number,
  options: { limit: number; beforeId?: number | undefined; bodyChars?: number | undefined },
): ChatPageMessage[] {
  const before =
    options.beforeId === undefined
      ? Number.MAX_SAFE_INTEGER
      : (db
          .prepare<[number, number], { ord: number }>(
            'SELECT ord FROM chat_messages WHERE id = ? AND chat_id = ?',
          )
          .get(options.beforeId, chatId)?.ord ?? Number.MAX_SAFE_INTEGER)
  const rows = db
    .prepare<[number, number, number, number], PageRow>(
      `SELECT id, chat_id, ord, direction, sender, origin_id, archive_id,
              substr(body, 1, ?) AS body, length(body) AS body_length,
              sent_at, received_at, state, seen, error
         FROM chat_messages WHERE chat_id = ? AND ord < ? ORDER BY ord DESC LIMIT ?`,
    )
    .all(options.bodyChars ?? PAGE_BODY_CHARS, chatId, before, options.limit)
    .reverse()
  const attachments = attachmentsOf(
    db,
    rows.map((r) => r.id),
  )
  return rows.map((row) => ({
    id: row.id,
    chatId: row.chat_id,
    ord: row.ord,
    direction: row.direction,
    sender: row.sender,
    originId: row.origin_id,
    archiveId: row.archive_id,
    body: row.body,
    bodyLength: row.body_length,
    sentAt: row.sent_at,
    receivedAt: row.received_at,
    state: row.state,
    seen: row.seen === 1,
    error: row.error,
    attachments: attachments.get(row.id) ?? [],
  }))
}

/** Characters [offset, offset + length) of one message's body ("show more" of a long message). */
export function messageText(
  db: MailDb,
  messageId: number,
  offset: number,
  length: number,
): { text: string; total: number } | null {
  const row = db
    .prepare<[number, number, number], { text: string; total: number }>(
      'SELECT substr(body, ?, ?) AS text, length(body) AS total FROM chat_messages WHERE id = ?',
    )
    .get(offset + 1, length, messageId)
  return row ?? null
}

function attachmentsOf(db: MailDb, messageIds: number[]): Map<number, ChatAttachmentView[]> {
  const map = new Map<number, ChatAttachmentView[]>()
  if (messageIds.length === 0) return map
  const rows = db
    .prepare<[string], ChatAttachmentView & { messageId: number }>(
      `SELECT id, message_id AS messageId, url, filename, mime_type AS mimeType, size, sha256, state
         FROM chat_attachments WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY id`,
    )
    .all(JSON.stringify(messageIds))
  for (const { messageId, ...attachment } of rows) {
    const list = map.get(messageId) ?? []
    list.push(attachment)
    map.set(messageId, list)
  }
  return map
}

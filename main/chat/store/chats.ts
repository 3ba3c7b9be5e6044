import type { MailDb } from '../../mail/db/connection.js'
import { cached } from './statements.js'
import type { ChatKind, ChatSummary } from '../types.js'

interface ChatRow {
  id: number
  account_id: number
  peer: string
  kind: ChatKind
  name: string
  nick: string | null
  joined: number
  unread: number
  last_message_at: number | null
}

const columns = 'id, account_id, peer, kind, name, nick, joined, unread, last_message_at'

/** The chat with `peer` (a bare JID) on this account, created on first use. */
export function ensureChat(db: MailDb, accountId: number, peer: string, kind: ChatKind): number {
  const existing = cached<[number, string], { id: number }>(
    db,
    'SELECT id FROM chats WHERE account_id = ? AND peer = ?',
  ).get(accountId, peer)
  if (existing) return existing.id
  return Number(
    cached(db, 'INSERT INTO chats (account_id, peer, kind, created_at) VALUES (?, ?, ?, ?)').run(
      accountId,
      peer,
      kind,
      Date.now(),
    ).lastInsertRowid,
  )
}

export function findChat(db: MailDb, accountId: number, peer: string): ChatSummary | null {
  const row = cached<[number, string], ChatRow>(
    db,
    `SELECT ${columns} FROM chats WHERE account_id = ? AND peer = ?`,
  ).get(accountId, peer)
  return row ? toSummary(row) : null
}

export function getChat(db: MailDb, id: number): ChatSummary | null {
  const row = cached<[number], ChatRow>(db, `SELECT ${columns} FROM chats WHERE id = ?`).get(id)
  return row ? toSummary(row) : null
}

/** Conversations, most recent first. */
export function listChats(db: MailDb, accountId?: number, limit = 500): ChatSummary[] {
  const rows =
    accountId === undefined
      ? cached<[number], ChatRow>(
          db,
          `SELECT ${columns} FROM chats ORDER BY coalesce(last_message_at, 0) DESC, id DESC LIMIT ?`,
        ).all(limit)
      : cached<[number, number], ChatRow>(
          db,
          `SELECT ${columns} FROM chats WHERE account_id = ? ORDER BY coalesce(last_message_at, 0) DESC, id DESC LIMIT ?`,
        ).all(accountId, limit)
  return rows.map(toSummary)
}

export function setRoom(
  db: MailDb,
  chatId: number,
  room: { nick: string; joined: boolean; name?: string },
): void {
  cached(db, 'UPDATE chats SET nick = ?, joined = ?, name = coalesce(?, name) WHERE id = ?').run(
    room.nick,
    room.joined ? 1 : 0,
    room.name ?? null,
    chatId,
  )
}

export function joinedRooms(db: MailDb, accountId: number): ChatSummary[] {
  return cached<[number], ChatRow>(
    db,
    `SELECT ${columns} FROM chats WHERE account_id = ? AND kind = 'group' AND joined = 1`,
  )
    .all(accountId)
    .map(toSummary)
}

export function setArchiveComplete(db: MailDb, chatId: number): void {
  cached(db, 'UPDATE chats SET archive_complete = 1 WHERE id = ?').run(chatId)
}

export function isArchiveComplete(db: MailDb, chatId: number): boolean {
  return (
    cached<[number], { a: number }>(db, 'SELECT archive_complete AS a FROM chats WHERE id = ?').get(
      chatId,
    )?.a === 1
  )
}

function toSummary(row: ChatRow): ChatSummary {
  return {
    id: row.id,
    accountId: row.account_id,
    peer: row.peer,
    kind: row.kind,
    name: row.name,
    nick: row.nick,
    joined: row.joined === 1,
    unread: row.unread,
    lastMessageAt: row.last_message_at,
  }
}

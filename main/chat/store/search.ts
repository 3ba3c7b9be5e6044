import type { MailDb } from '../../mail/db/connection.js'
import { buildFtsQuery } from '../../mail/store/search.js'
import type { ChatSearchHit } from '../types.js'

/**
 * Chat messages matching `input`, most recently stored first: the same
 * query language and order as the mail search (searchMessages), so the two
 * result lists can be shown side by side or merged by date. `before` (a
 * message id, exclusive) continues after a page's last hit.
 */
export function searchChats(
  db: MailDb,
  input: string,
  limit: number,
  before: number = Number.MAX_SAFE_INTEGER,
): ChatSearchHit[] {
  const query = buildFtsQuery(input)
  if (!query) return []
  return db
    .prepare<[string, number, number], ChatSearchHit>(
      `WITH hits AS (
         SELECT rowid FROM chat_messages_fts
          WHERE chat_messages_fts MATCH ? AND rowid < ? ORDER BY rowid DESC LIMIT ?
       )
       SELECT m.id AS messageId, m.chat_id AS chatId, c.account_id AS accountId, c.peer AS peer,
              coalesce(nullif(c.name, ''), (SELECT k.name FROM chat_contacts k
                 WHERE k.account_id = c.account_id AND k.jid = c.peer), '') AS chatName,
              m.sender AS sender, m.direction AS direction, m.sent_at AS sentAt,
              substr(m.body, 1, 200) AS snippet
         FROM hits JOIN chat_messages m ON m.id = hits.rowid JOIN chats c ON c.id = m.chat_id
        ORDER BY m.id DESC`,
    )
    .all(query, before, limit)
}

/**
 * How many chat messages match `input`, counted up to `cap` + 1 at most
 * (a count past the cap is not exact: see countMatches).
 */
export function countChats(db: MailDb, input: string, cap: number): number {
  const query = buildFtsQuery(input)
  if (!query) return 0
  const row = db
    .prepare<[string, number], { n: number }>(
      `SELECT count(*) AS n FROM (
         SELECT 1 FROM chat_messages_fts f JOIN chat_messages m ON m.id = f.rowid
          WHERE chat_messages_fts MATCH ? LIMIT ?)`,
    )
    .get(query, cap + 1)
  return row?.n ?? 0
}

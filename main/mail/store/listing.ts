import type { MailDb } from '../db/connection.js'
import { buildThreadTree, flattenThread } from '../threads/jwz.js'
import type {
  ContactSuggestion,
  ListCursor,
  MessagePage,
  SortKey,
  ThreadEntry,
  ThreadPage,
} from '../types.js'
import { summaryColumns, toSummary, type SummaryRow } from './messages.js'

/** ORDER BY of each sort key, matching the index 0012 made for it (so SQLite walks the index). */
const ORDER: Record<Exclude<SortKey, 'date'>, string> = {
  sender: "lower(CASE WHEN m.from_name <> '' THEN m.from_name ELSE m.from_address END)",
  subject: 'm.subject COLLATE NOCASE',
  size: 'm.size',
}
const INDEX: Record<Exclude<SortKey, 'date'>, string> = {
  sender: 'messages_by_folder_sender',
  subject: 'messages_by_folder_subject',
  size: 'messages_by_folder_size',
}

/** A page of a folder sorted by sender, subject or size (date order is listMessages'). */
export function listSorted(
  db: MailDb,
  folderId: number,
  options: { by: Exclude<SortKey, 'date'>; descending: boolean; offset: number; limit: number },
): MessagePage {
  const dir = options.descending ? 'DESC' : 'ASC'
  const rows = db
    .prepare<[number, number, number], SummaryRow>(
      `SELECT ${summaryColumns} FROM messages m INDEXED BY ${INDEX[options.by]}
        WHERE m.folder_id = ? ORDER BY ${ORDER[options.by]} ${dir}, m.id ${dir} LIMIT ? OFFSET ?`,
    )
    .all(folderId, options.limit, options.offset)
  return { messages: rows.map(toSummary), next: null }
}

/**
 * A page of a folder's conversations, newest first (folder_threads, kept
 * by triggers): each row is the conversation's newest message in this
 * folder, with how many messages (and unread ones) it has here.
 */
export function listThreads(
  db: MailDb,
  folderId: number,
  options: { cursor?: ListCursor | undefined; offset?: number | undefined; limit: number },
): ThreadPage {
  type Row = { thread_id: number; last_date: number; messages: number; unread: number }
  const threads = options.cursor
    ? db
        .prepare<[number, number, number, number], Row>(
          `SELECT thread_id, last_date, messages, unread FROM folder_threads
            WHERE folder_id = ? AND (last_date, thread_id) < (?, ?)
            ORDER BY last_date DESC, thread_id DESC LIMIT ?`,
        )
        .all(folderId, options.cursor.date, options.cursor.id, options.limit)
    : db
        .prepare<[number, number, number], Row>(
          `SELECT thread_id, last_date, messages, unread FROM folder_threads
            WHERE folder_id = ? ORDER BY last_date DESC, thread_id DESC LIMIT ? OFFSET ?`,
        )
        .all(folderId, options.limit, options.offset ?? 0)
  const newest = db.prepare<[number, number], SummaryRow>(
    `SELECT ${summaryColumns} FROM messages m
      WHERE m.folder_id = ? AND m.thread_id = ? ORDER BY m.date DESC, m.id DESC LIMIT 1`,
  )
  const flaggedIn = db.prepare<[number, number], { n: number }>(
    'SELECT count(*) AS n FROM messages WHERE folder_id = ? AND thread_id = ? AND flagged = 1',
  )
  const total = db
    .prepare<[number], { n: number }>(
      'SELECT count(*) AS n FROM folder_threads WHERE folder_id = ?',
    )
    .get(folderId)!.n
  const out: ThreadPage['threads'] = []
  for (const t of threads) {
    const row = newest.get(folderId, t.thread_id)
    if (!row) continue
    const summary = toSummary(row)
    out.push({
      ...summary,
      // The conversation reads as unread while any message of it is, and starred while any is.
      seen: t.unread === 0,
      flagged: summary.flagged || (t.messages > 1 && flaggedIn.get(folderId, t.thread_id)!.n > 0),
      threadCount: t.messages,
      threadUnread: t.unread,
    })
  }
  return { threads: out, total }
}

/** Every message of a conversation, in any folder, in reading order (JWZ tree), at most `limit`. */
export function threadMessages(db: MailDb, threadId: number, limit = 1000): ThreadEntry[] {
  const rows = db
    .prepare<
      [number, number],
      SummaryRow & {
        folder_name: string
        message_id: string
        in_reply_to: string
        references_json: string
      }
    >(
      `SELECT ${summaryColumns}, f.name AS folder_name, m.message_id, m.in_reply_to, m.references_json
         FROM messages m JOIN folders f ON f.id = m.folder_id
        WHERE m.thread_id = ? ORDER BY m.date LIMIT ?`,
    )
    .all(threadId, limit)
  const nodes = rows.map((row) => {
    let refs: string[] = []
    try {
      const parsed = JSON.parse(row.references_json) as unknown
      if (Array.isArray(parsed)) refs = parsed.filter((r): r is string => typeof r === 'string')
    } catch {
      // none
    }
    if (row.in_reply_to && refs[refs.length - 1] !== row.in_reply_to) refs.push(row.in_reply_to)
    return { id: row.id, messageId: row.message_id, refs, date: row.date, row }
  })
  return flattenThread(buildThreadTree(nodes)).map(({ message, depth }) => ({
    ...toSummary(message.row),
    depth,
    folderName: message.row.folder_name,
  }))
}

/**
 * Addresses for the compose window's autocomplete: everyone Cairn has seen
 * in mail (the contacts table, filled as messages are stored), the most
 * written-with first. Matches the start of the address, of the name, or of
 * any word of the name.
 */
export function suggestContacts(db: MailDb, prefix: string, limit: number): ContactSuggestion[] {
  const p = prefix.trim()
  if (!p) return []
  const like = `${p.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
  return db
    .prepare<[string, string, string, number], ContactSuggestion>(
      `SELECT name, address FROM contacts
        WHERE address LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\' OR name LIKE '% ' || ? ESCAPE '\\'
        ORDER BY message_count DESC, last_seen DESC LIMIT ?`,
    )
    .all(like, like, like, limit)
}

import type { MailDb } from '../db/connection.js'
import type { SearchHit } from '../types.js'
import { summaryColumns, toSummary, type SummaryRow } from './messages.js'

/**
 * Turn what the user typed into an FTS5 query. Every word must match
 * (implicit AND); the last word is matched as a prefix, because the user is
 * probably still typing it. FTS5 syntax in the input (quotes, operators,
 * column filters) is not interpreted: words are quoted, so "NOT" or "a:b"
 * are searched for literally. Returns null when there is nothing to search.
 */
export function buildFtsQuery(input: string): string | null {
  const words = input.normalize('NFKC').match(/[\p{L}\p{N}_]+/gu) ?? []
  if (words.length === 0) return null
  return words
    .map((word, index) => {
      const quoted = `"${word}"`
      return index === words.length - 1 && word.length >= 2 ? `${quoted}*` : quoted
    })
    .join(' ')
}

/**
 * Messages matching `input`, most recently stored first. FTS5 walks its
 * index in rowid order and stops at `limit`, so a common word among 150k
 * messages costs no more than a rare one.
 */
export function searchMessages(db: MailDb, input: string, limit: number): SearchHit[] {
  const query = buildFtsQuery(input)
  if (!query) return []
  const rows = db
    .prepare<[string, number], SummaryRow & { folder_name: string }>(
      `WITH hits AS (
         SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT ?
       )
       SELECT ${summaryColumns}, f.name AS folder_name
         FROM hits JOIN messages m ON m.id = hits.rowid JOIN folders f ON f.id = m.folder_id
        ORDER BY m.id DESC`,
    )
    .all(query, limit)
  return rows.map((row) => ({ ...toSummary(row), folderName: row.folder_name }))
}

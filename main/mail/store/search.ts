import type { MailDb } from '../db/connection.js'
import { searchMessages as search } from '../search/search-messages.js'
import type { SearchHit } from '../types.js'

/**
 * Turn what the user typed into an FTS5 query. Every word must match
 * (implicit AND); the last word is matched as a prefix, because the user is
 * probably still typing it. FTS5 syntax in the input (quotes, operators,
 * column filters) is not interpreted: words are quoted, so "NOT" or "a:b"
 * are searched for literally. Returns null when there is nothing to search.
 * (Chat search uses this; mail search has operators: search/query.ts.)
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

/** The first `limit` messages matching `input` (operators included), newest stored first. */
export function searchMessages(db: MailDb, input: string, limit: number): SearchHit[] {
  return search(db, input, { limit }).hits
}

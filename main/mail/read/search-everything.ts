import { searchChats } from '../../chat/store/search.js'
import type { ChatSearchHit } from '../../chat/types.js'
import type { MailDb } from '../db/connection.js'
import { searchMessages } from '../store/search.js'
import type { SearchHit } from '../types.js'

/** One result of the search box: a mail message or a chat message. */
export type EverythingHit =
  | { kind: 'mail'; date: number; mail: SearchHit }
  | { kind: 'chat'; date: number; chat: ChatSearchHit }

/**
 * What the one search box finds: mail (messages_fts) and chat messages
 * (chat_messages_fts), with the same query rules, in one answer, newest
 * first by date. Each kind contributes at most `limit` hits.
 */
export function searchEverything(db: MailDb, query: string, limit: number): EverythingHit[] {
  const hits: EverythingHit[] = [
    ...searchMessages(db, query, limit).map((mail): EverythingHit => ({
      kind: 'mail',
      date: mail.date,
      mail,
    })),
    ...searchChats(db, query, limit).map((chat): EverythingHit => ({
      kind: 'chat',
      date: chat.sentAt,
      chat,
    })),
  ]
  return hits.sort((a, b) => b.date - a.date)
}

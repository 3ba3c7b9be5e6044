import { countChats, searchChats } from '../../chat/store/search.js'
import type { ChatSearchHit } from '../../chat/types.js'
import type { MailDb } from '../db/connection.js'
import { parseSearchQuery } from '../search/query.js'
import { countMatches, searchMessages } from '../search/search-messages.js'
import type { SearchHit } from '../types.js'

/** One result of the search box: a mail message or a chat message. */
export type EverythingHit =
  | { kind: 'mail'; date: number; mail: SearchHit }
  | { kind: 'chat'; date: number; chat: ChatSearchHit }

/**
 * Where the next page starts: for each kind, the id below which its hits
 * continue (exclusive); 0 when that kind has no more. It only narrows the
 * same query (ids are compared, never looked up), so a forged cursor can
 * at worst skip results — it cannot reach a message the query does not match.
 */
export interface EverythingCursor {
  mail: number
  chat: number
}

/** "1,234 results", or "more than 10,000" when counting stopped at the cap. */
export interface EverythingCount {
  value: number
  exact: boolean
}

export interface EverythingPage {
  hits: EverythingHit[]
  /** Pass as `cursor` for the next page; null when this page is the last. */
  next: EverythingCursor | null
  /** What the query could not use (e.g. in: names no folder), for the search box to show. */
  problems: string[]
}

/**
 * Counting stops here: past it the search box says "more than 10,000
 * results". Counting walks every match (a word found in most messages of
 * 150,000 costs tens of milliseconds per 10,000 matches on a loaded
 * machine: see docs/decisions.md), so an exact count of a whole mailbox
 * would make a common word's first page slow.
 */
export const COUNT_CAP = 10_000

const MAX = Number.MAX_SAFE_INTEGER

/**
 * One page of what the search box finds: mail (messages_fts, with the
 * operators) and chat messages (chat_messages_fts), each kind newest
 * stored first, the two interleaved by date (whichever kind's next hit is
 * newer comes first; mail on a tie). Each page continues both streams
 * exactly where the last one stopped, so pages put end to end give every
 * hit once, in the same order as one long page would.
 */
export function searchEverything(
  db: MailDb,
  input: string,
  options: { limit: number; cursor?: EverythingCursor | undefined },
): EverythingPage {
  const { limit, cursor } = options
  const query = parseSearchQuery(input)
  // One more of each than the page needs: whether a kind has more is known without another read.
  const mailPage =
    cursor?.mail === 0
      ? { hits: [], problems: query.problems }
      : searchMessages(db, query, { limit: limit + 1, before: cursor?.mail })
  const mail = mailPage.hits
  const chat = cursor?.chat === 0 ? [] : searchChats(db, input, limit + 1, cursor?.chat)

  const hits: EverythingHit[] = []
  let m = 0
  let c = 0
  while (hits.length < limit) {
    const nextMail = mail[m]
    const nextChat = chat[c]
    if (nextMail && (!nextChat || nextMail.date >= nextChat.sentAt)) {
      hits.push({ kind: 'mail', date: nextMail.date, mail: nextMail })
      m++
    } else if (nextChat) {
      hits.push({ kind: 'chat', date: nextChat.sentAt, chat: nextChat })
      c++
    } else break
  }

  // A kind has more when some of what it fetched is left (it fetched one more than a page).
  const mailLeft = m < mail.length
  const chatLeft = c < chat.length
  const lastMail = mail[m - 1]
  const lastChat = chat[c - 1]
  const next: EverythingCursor | null =
    mailLeft || chatLeft
      ? {
          mail: !mailLeft ? 0 : lastMail ? lastMail.id : (cursor?.mail ?? MAX),
          chat: !chatLeft ? 0 : lastChat ? lastChat.messageId : (cursor?.chat ?? MAX),
        }
      : null
  return { hits, next, problems: mailPage.problems }
}

/** How many mail and chat messages match `input`, up to `cap` (see COUNT_CAP). */
export function countEverything(db: MailDb, input: string, cap = COUNT_CAP): EverythingCount {
  const total = countMatches(db, input, { cap }) + countChats(db, input, cap)
  return total > cap ? { value: cap, exact: false } : { value: total, exact: true }
}

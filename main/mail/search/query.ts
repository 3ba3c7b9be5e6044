/**
 * The search language, parsed without touching any store: a pure module
 * that mail search, the CLI and chat search can share. Gmail's operators,
 * which most people who use operators at all already know:
 *
 *   budget review          every word must match (the last one as a prefix while typing)
 *   "budget review"        the words next to each other
 *   from:alice  to:bob     sender / recipients (To and Cc), by name or address, any part of it
 *   subject:invoice        in the subject
 *   has:attachment         with a file attached
 *   filename:report.pdf    an attachment's name
 *   in:inbox  in:"Work/Q3" a folder (by name, path or role: inbox, sent, drafts, trash, junk, archive)
 *   is:unread is:read is:starred is:unstarred
 *   before:2024-03-01 after:2024-01  (dates: YYYY, YYYY-MM, YYYY-MM-DD; "/" also works)
 *
 * Anything that is not a known operator is searched for as text, so
 * "re:meeting" or "10:30" never fail. Operators are case-insensitive.
 */

export interface SearchWord {
  text: string
  /** Quoted: the words must stand next to each other. */
  phrase: boolean
  /** The word the user is still typing: matched as a prefix. */
  prefix: boolean
}

/** A calendar day (or month, or year) as typed; turned into a time by the store. */
export interface DateBound {
  year: number
  /** 1–12, or null when only a year was given. */
  month: number | null
  /** 1–31, or null when only a year or month was given. */
  day: number | null
}

export interface SearchQuery {
  words: SearchWord[]
  from: string[]
  to: string[]
  subject: SearchWord[]
  filename: string[]
  folders: string[]
  hasAttachment: boolean
  /** true: is:unread; false: is:read; null: either. */
  unread: boolean | null
  /** true: is:starred; false: is:unstarred; null: either. */
  starred: boolean | null
  before: DateBound | null
  after: DateBound | null
  /** Operators given a value they cannot use, worded for the search box ("before: needs a date…"). */
  problems: string[]
}

export const SEARCH_OPERATORS = [
  'from',
  'to',
  'subject',
  'has',
  'filename',
  'in',
  'is',
  'before',
  'after',
] as const

type Operator = (typeof SEARCH_OPERATORS)[number]

const OPERATORS = new Set<string>(SEARCH_OPERATORS)

interface Token {
  operator: Operator | null
  value: string
  quoted: boolean
  /** The token ends the input with no space after it (the user may still be typing it). */
  open: boolean
}

/** Longest input read; anything after it is ignored (a search box holds a line, not a book). */
const MAX_INPUT = 2000

export function parseSearchQuery(input: string): SearchQuery {
  const query: SearchQuery = {
    words: [],
    from: [],
    to: [],
    subject: [],
    filename: [],
    folders: [],
    hasAttachment: false,
    unread: null,
    starred: null,
    before: null,
    after: null,
    problems: [],
  }
  for (const token of tokenize(input.slice(0, MAX_INPUT).normalize('NFKC'))) {
    const value = token.value.trim()
    switch (token.operator) {
      case null:
        query.words.push(...wordsOf(value, token.quoted, token.open))
        break
      case 'from':
        if (value) query.from.push(value.toLowerCase())
        break
      case 'to':
        if (value) query.to.push(value.toLowerCase())
        break
      case 'subject':
        query.subject.push(...wordsOf(value, token.quoted, token.open))
        break
      case 'filename':
        if (value) query.filename.push(value)
        break
      case 'in':
        if (value) query.folders.push(value)
        break
      case 'has':
        if (/^(attachments?|files?)$/i.test(value)) query.hasAttachment = true
        else if (!token.open) query.problems.push(`has: knows "attachment" only, not "${value}".`)
        break
      case 'is': {
        const state = value.toLowerCase()
        if (state === 'unread') query.unread = true
        else if (state === 'read') query.unread = false
        else if (state === 'starred' || state === 'flagged') query.starred = true
        else if (state === 'unstarred' || state === 'unflagged') query.starred = false
        else if (!token.open)
          query.problems.push(`is: knows unread, read, starred and unstarred, not "${value}".`)
        break
      }
      case 'before':
      case 'after': {
        const bound = parseDateBound(value)
        if (bound) query[token.operator] = bound
        else if (!token.open)
          query.problems.push(
            `${token.operator}: needs a date such as 2024-03-15, 2024-03 or 2024, not "${value}".`,
          )
        break
      }
    }
  }
  return query
}

/** True when the query asks for nothing at all (an empty box, or only unusable operators). */
export function isEmptyQuery(query: SearchQuery): boolean {
  return (
    query.words.length === 0 &&
    query.from.length === 0 &&
    query.to.length === 0 &&
    query.subject.length === 0 &&
    query.filename.length === 0 &&
    query.folders.length === 0 &&
    !query.hasAttachment &&
    query.unread === null &&
    query.starred === null &&
    query.before === null &&
    query.after === null
  )
}

function tokenize(input: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < input.length) {
    while (i < input.length && /\s/.test(input[i] as string)) i++
    if (i >= input.length) break
    let operator: Operator | null = null
    const op = /^([A-Za-z]+):/.exec(input.slice(i, i + 12))
    if (op && OPERATORS.has((op[1] as string).toLowerCase())) {
      operator = (op[1] as string).toLowerCase() as Operator
      i += op[0].length
    }
    if (input[i] === '"') {
      const close = input.indexOf('"', i + 1)
      const end = close === -1 ? input.length : close
      tokens.push({
        operator,
        value: input.slice(i + 1, end),
        quoted: true,
        open: close === -1,
      })
      i = end + 1
      continue
    }
    const start = i
    while (i < input.length && !/\s/.test(input[i] as string)) i++
    tokens.push({ operator, value: input.slice(start, i), quoted: false, open: i >= input.length })
  }
  return tokens
}

/** The searchable words of a piece of text: letters and digits, as the index splits them. */
function wordsOf(value: string, quoted: boolean, open: boolean): SearchWord[] {
  const words = value.match(/[\p{L}\p{N}\p{M}_]+/gu) ?? []
  if (words.length === 0) return []
  if (quoted) return [{ text: words.join(' '), phrase: words.length > 1, prefix: false }]
  return words.map((text, index) => ({
    text,
    phrase: false,
    prefix: open && index === words.length - 1,
  }))
}

export function parseDateBound(value: string): DateBound | null {
  const match = /^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?$/.exec(value.trim())
  if (!match) return null
  const year = Number(match[1])
  const month = match[2] === undefined ? null : Number(match[2])
  const day = match[3] === undefined ? null : Number(match[3])
  if (year < 1970 || year > 9999) return null
  if (month !== null && (month < 1 || month > 12)) return null
  if (day !== null) {
    const days = new Date(Date.UTC(year, month as number, 0)).getUTCDate()
    if (day < 1 || day > days) return null
  }
  return { year, month, day }
}

/**
 * The first moment of a bound, in local time: "after:2024-03" means from
 * the first of March on (inclusive), "before:2024-03" before it
 * (exclusive), as in Gmail: after:2024-04-16 before:2024-04-18 is the 16th
 * and the 17th.
 */
export function startOf(bound: DateBound): number {
  return new Date(bound.year, (bound.month ?? 1) - 1, bound.day ?? 1).getTime()
}

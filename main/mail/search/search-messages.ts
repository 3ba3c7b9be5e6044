import type { MailDb } from '../db/connection.js'
import { summaryColumns, toSummary, type SummaryRow } from '../store/messages.js'
import type { SearchHit } from '../types.js'
import { cjkMatch, hasCjk, nonCjkPart } from './cjk.js'
import {
  isEmptyQuery,
  parseSearchQuery,
  startOf,
  type SearchQuery,
  type SearchWord,
} from './query.js'

export interface SearchPage {
  hits: SearchHit[]
  /** Cursor for "show more": pass it as `before` to get the next page; null at the end. */
  next: number | null
  /** What the query could not use, for the search box to show (see query.ts). */
  problems: string[]
}

/**
 * A condition on a message that one of the two full-text indexes answers:
 * the main one (subject, participants, body) or the extra one (attachment
 * names, CJK bigrams). A message satisfies it if either index matches.
 */
interface Clause {
  main: string | null
  extra: string | null
}

/** SQL over `m` (messages) with its parameters. */
interface Predicate {
  sql: string
  params: unknown[]
  /** Answered by the small messages_search_filter index alone (no row read). */
  covered: boolean
}

interface Plan {
  clauses: Clause[]
  predicates: Predicate[]
  problems: string[]
  /** Nothing can match (e.g. in: names no folder). */
  impossible: boolean
  /** after: / before: as times (start of the day/month/year given), for idRange. */
  dates: { from: number | null; until: number | null }
}

/**
 * How many unread or starred messages are few enough to check one by one
 * against the full-text index rather than walk the text matches checking
 * each for the flag. A check is a full-text lookup by rowid: 0.25–1.3 ms
 * each at 150,000 messages on a loaded 2-core machine, against 15–30 µs for
 * a walked match; so the flag side wins only while it is small, and walking
 * the text matches is no worse than before above this.
 */
export const FLAG_DRIVEN_MAX = 200

const ROLE_NAMES: Record<string, string> = {
  inbox: '\\Inbox',
  sent: '\\Sent',
  drafts: '\\Drafts',
  draft: '\\Drafts',
  trash: '\\Trash',
  bin: '\\Trash',
  junk: '\\Junk',
  spam: '\\Junk',
  archive: '\\Archive',
}

const registered = new WeakSet<MailDb>()

/** Lower case without accents: "Zoë" and "zoe" compare equal, as in the full-text index. */
export function fold(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase()
}

function ensureFunctions(db: MailDb): void {
  if (registered.has(db)) return
  db.function('cairn_fold', { deterministic: true }, (value: unknown) =>
    typeof value === 'string' ? fold(value) : '',
  )
  registered.add(db)
}

/**
 * Messages matching `input` (the search language of query.ts), newest
 * stored first, `limit` at a time: `before` continues after a page's last
 * message. Every part streams from an index in rowid order and stops at the
 * limit, so a common word over 150,000 messages costs about what a rare one does.
 */
export function searchMessages(
  db: MailDb,
  input: string | SearchQuery,
  options: { limit: number; before?: number | undefined; drive?: Drive },
): SearchPage {
  ensureFunctions(db)
  const query = typeof input === 'string' ? parseSearchQuery(input) : input
  const plan = planQuery(db, query)
  if (plan.impossible || isEmptyQuery(query))
    return { hits: [], next: null, problems: plan.problems }
  const before = options.before ?? Number.MAX_SAFE_INTEGER
  const ids = runParts(db, plan, before, options.limit, options.drive).ids
  const hits = ids.length ? hitsFor(db, ids) : []
  return {
    hits,
    next: ids.length === options.limit ? (ids[ids.length - 1] as number) : null,
    problems: plan.problems,
  }
}

/**
 * How many messages match `input` in all (for "1,234 results"). With a
 * `cap`, counting stops past it: a result above `cap` means "more than
 * `cap`" (each of the at most two streams counts up to cap + 1), so a
 * common word over a big mailbox costs a bounded walk.
 */
export function countMatches(
  db: MailDb,
  input: string | SearchQuery,
  options: { drive?: Drive; cap?: number } = {},
): number {
  ensureFunctions(db)
  const query = typeof input === 'string' ? parseSearchQuery(input) : input
  const plan = planQuery(db, query)
  if (plan.impossible || isEmptyQuery(query)) return 0
  return runParts(db, plan, Number.MAX_SAFE_INTEGER, null, options.drive, undefined, options.cap)
    .count
}

/**
 * The query plan (EXPLAIN QUERY PLAN's lines, statement after statement)
 * of a first page of `input`: which index a search starts from, for tests
 * and for looking into a slow query.
 */
export function explainSearch(db: MailDb, input: string, limit = 50): string[] {
  ensureFunctions(db)
  const query = parseSearchQuery(input)
  const plan = planQuery(db, query)
  if (plan.impossible || isEmptyQuery(query)) return []
  const lines: string[] = []
  runParts(db, plan, Number.MAX_SAFE_INTEGER, limit, 'auto', lines)
  return lines
}

/**
 * How a query with words is run: 'text' walks the text matches newest first
 * checking every operator on each (the plain way); 'flag' starts from the
 * messages with is:unread / is:starred's flag; 'auto' (the default) starts
 * from the flag when few messages carry it, and bounds the walk by the ids
 * of the messages in an after:/before: range. All give the same messages;
 * tests compare them.
 */
export type Drive = 'auto' | 'text' | 'flag'

/** The partial index a flag predicate can start from, with the SQL that selects it. */
function flagSide(predicates: Predicate[]): { index: string; sql: string } | null {
  if (predicates.some((p) => p.sql === 'm.flagged = 1'))
    return { index: 'messages_flagged', sql: 'm.flagged = 1' }
  if (predicates.some((p) => p.sql === 'm.seen = 0'))
    return { index: 'messages_unread', sql: 'm.seen = 0' }
  return null
}

/** Whether to start from the flagged messages: only when there are few (counted, with a bound). */
function startFromFlags(db: MailDb, side: { index: string; sql: string }, before: number): boolean {
  const { n } = db
    .prepare<[number, number], { n: number }>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM messages m INDEXED BY ${side.index}
        WHERE ${side.sql} AND m.id < ? LIMIT ?)`,
    )
    .get(before, FLAG_DRIVEN_MAX + 1) as { n: number }
  return n <= FLAG_DRIVEN_MAX
}

/**
 * The query as at most two streams merged by id: messages where every
 * clause matches the main index, and messages found through the extra
 * index (checked clause by clause against either index, and not already
 * in the first stream). With no clause at all, the filter index is walked.
 */
function runParts(
  db: MailDb,
  plan: Plan,
  before: number,
  limit: number | null,
  drive: Drive = 'auto',
  explain?: string[],
  cap?: number,
): { ids: number[]; count: number } {
  const { clauses, predicates } = plan
  const allCovered = predicates.every((p) => p.covered)
  const where = predicates.map((p) => p.sql)
  const whereParams = predicates.flatMap((p) => p.params)
  const tail = limit === null ? '' : ' ORDER BY m.id DESC LIMIT ?'
  // Counting selects rows to count (bounded by the cap, if any) rather than count(*) at once.
  const select = limit === null ? 'SELECT 1' : 'SELECT m.id AS id'
  const capped = limit === null && cap !== undefined && Number.isFinite(cap)
  // Joining through the covering index reads no message row when the filters need none.
  const messages = allCovered ? 'messages m INDEXED BY messages_search_filter' : 'messages m'
  const run = (sql: string, params: unknown[]): { ids: number[]; count: number } => {
    if (explain) {
      const rows = db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...params, ...(limit === null ? [] : [limit])) as { detail: string }[]
      explain.push(...rows.map((r) => r.detail))
      return { ids: [], count: 0 }
    }
    if (limit === null) {
      const counted = `SELECT count(*) AS n FROM (${sql}${capped ? ' LIMIT ?' : ''})`
      const bound = capped ? [(cap as number) + 1] : []
      return { ids: [], count: (db.prepare(counted).get(...params, ...bound) as { n: number }).n }
    }
    const rows = db.prepare(sql).all(...params, limit) as { id: number }[]
    return { ids: rows.map((r) => r.id), count: 0 }
  }

  if (clauses.length === 0) {
    const index = pickFilterIndex(predicates)
    const sql = `${select} FROM messages m INDEXED BY ${index}
      WHERE m.id < ?${where.map((w) => ` AND ${w}`).join('')}${tail}`
    return run(sql, [before, ...whereParams])
  }

  // "to:me budget is:starred": the text side may be most of the mailbox
  // while a handful of messages are starred. Walking the text matches and
  // checking each for a star then reads every match; walking the starred
  // messages and checking each against the index reads a handful.
  const side = drive === 'text' ? null : flagSide(predicates)
  if (side && (drive === 'flag' || startFromFlags(db, side, before))) {
    const { sql: textCheck, params: textParams } = textCondition(clauses)
    const sql = `${select} FROM messages m INDEXED BY ${side.index}
      WHERE m.id < ?${where.map((w) => ` AND ${w}`).join('')} AND ${textCheck}${tail}`
    return run(sql, [before, ...whereParams, ...textParams])
  }

  // after:/before: beside words: the text matches are walked newest first, so
  // a range years back read every newer match first. The ids of the messages
  // in the range bound the walk instead (FTS5 seeks to a rowid range); the
  // date predicates still decide each message.
  let below = before
  let lowest: number | null = null
  if (drive !== 'text' && (plan.dates.from !== null || plan.dates.until !== null)) {
    const range = idRange(db, plan.dates)
    if (range === null) return { ids: [], count: 0 }
    below = Math.min(before, range.highest + 1)
    lowest = range.lowest
  }

  const parts: { ids: number[]; count: number }[] = []
  const allMain = clauses.every((c) => c.main !== null)
  const mainExpr = allMain ? clauses.map((c) => `(${c.main})`).join(' AND ') : null
  if (mainExpr && limit !== null && lowest !== null && upwardIsCheaper(db, below)) {
    parts.push({
      ids: walkUp(db, { mainExpr, lowest, below, limit, messages, where, whereParams, explain }),
      count: 0,
    })
  } else if (mainExpr && limit === null && lowest !== null) {
    // Counting a date range: read upwards from its lowest id, at most as many matches as it
    // has ids (FTS5 would not stop at the upper bound by itself: see walkUp).
    const sql = `SELECT 1 FROM (SELECT rowid FROM messages_fts
        WHERE messages_fts MATCH ? AND rowid >= ? ORDER BY rowid ASC LIMIT ?) f
      ${where.length === 0 ? '' : `CROSS JOIN ${messages} ON m.id = f.rowid`}
      WHERE f.rowid < ?${where.map((w) => ` AND ${w}`).join('')}`
    parts.push(run(sql, [mainExpr, lowest, Math.max(0, below - lowest), below, ...whereParams]))
  } else if (mainExpr) {
    // With no operator to check, the index alone answers (triggers keep it in step with
    // messages): counting a word found in every message is then ~7x faster than with the join.
    const sql =
      where.length === 0
        ? `${limit === null ? 'SELECT 1' : 'SELECT f.rowid AS id'} FROM messages_fts f
      WHERE messages_fts MATCH ? AND f.rowid < ?${lowest === null ? '' : ' AND f.rowid >= ?'}
      ${limit === null ? '' : 'ORDER BY f.rowid DESC LIMIT ?'}`
        : `${select} FROM messages_fts f CROSS JOIN ${messages} ON m.id = f.rowid
      WHERE messages_fts MATCH ? AND f.rowid < ?${lowest === null ? '' : ' AND f.rowid >= ?'}${where.map((w) => ` AND ${w}`).join('')}
      ${limit === null ? '' : 'ORDER BY f.rowid DESC LIMIT ?'}`
    parts.push(run(sql, [mainExpr, below, ...(lowest === null ? [] : [lowest]), ...whereParams]))
  }
  const extraClauses = clauses.filter((c) => c.extra !== null)
  if (extraClauses.length > 0) {
    // Messages where some clause matches the extra index; each clause is then
    // checked against either index; those the main stream has are left out.
    const anyExtra = extraClauses.map((c) => `(${c.extra})`).join(' OR ')
    const checks: string[] = []
    const checkParams: unknown[] = []
    for (const c of clauses) {
      // The one clause that drives the walk holds for every row it gives: a lookup per
      // row (0.25–1.3 ms each) saved, which a lone CJK word paid on every hit.
      if (extraClauses.length === 1 && c === extraClauses[0]) continue
      const either: string[] = []
      if (c.main) {
        either.push(
          'EXISTS (SELECT 1 FROM messages_fts WHERE messages_fts MATCH ? AND rowid = t.rowid)',
        )
        checkParams.push(c.main)
      }
      if (c.extra) {
        either.push(
          'EXISTS (SELECT 1 FROM message_terms WHERE message_terms MATCH ? AND rowid = t.rowid)',
        )
        checkParams.push(c.extra)
      }
      checks.push(`(${either.join(' OR ')})`)
    }
    if (mainExpr) {
      checks.push(
        'NOT EXISTS (SELECT 1 FROM messages_fts WHERE messages_fts MATCH ? AND rowid = t.rowid)',
      )
      checkParams.push(mainExpr)
    }
    const sql = `${select} FROM message_terms t CROSS JOIN ${messages} ON m.id = t.rowid
      WHERE message_terms MATCH ? AND t.rowid < ?${lowest === null ? '' : ' AND t.rowid >= ?'}
        ${checks.map((c) => ` AND ${c}`).join('')}${where.map((w) => ` AND ${w}`).join('')}
      ${limit === null ? '' : 'ORDER BY t.rowid DESC LIMIT ?'}`
    parts.push(
      run(sql, [
        anyExtra,
        below,
        ...(lowest === null ? [] : [lowest]),
        ...checkParams,
        ...whereParams,
      ]),
    )
  }
  if (limit === null) return { ids: [], count: parts.reduce((sum, p) => sum + p.count, 0) }
  const merged = parts
    .flatMap((p) => p.ids)
    .sort((a, b) => b - a)
    .slice(0, limit)
  return { ids: merged, count: 0 }
}

/**
 * Whether a date range's text matches are cheaper to read upwards from its
 * lowest id than downwards from its highest. FTS5 reaches a rowid bound by
 * stepping through the matches before it (about 0.3 µs each for a common
 * word, either way), so a walk down from a range years back first steps
 * over every newer match (~45 ms for "the" before 2016 at 150,000
 * messages); a walk up steps over the older ones and reads the range.
 * Matches are taken as spread like ids.
 */
function upwardIsCheaper(db: MailDb, below: number): boolean {
  const top = db.prepare<[], { id: number | null }>('SELECT max(id) AS id FROM messages').get()?.id
  return top !== null && top !== undefined && below < top - below
}

/**
 * The newest `limit` matches of `mainExpr` between `lowest` and `below`
 * that pass the operators, read upwards: the range's ids from the index
 * alone (no row read), then checked newest first, a chunk at a time.
 */
function walkUp(
  db: MailDb,
  options: {
    mainExpr: string
    lowest: number
    below: number
    limit: number
    messages: string
    where: string[]
    whereParams: unknown[]
    explain: string[] | undefined
  },
): number[] {
  const { mainExpr, lowest, below, limit, messages, where, whereParams, explain } = options
  // A page cursor below the range: nothing left (and LIMIT must not go negative: no limit).
  if (below <= lowest && !explain) return []
  // FTS5 does not stop an ascending walk at an upper rowid bound (it reads on to the last
  // match and SQLite drops the rest). The range holds at most below - lowest ids, so that
  // many matches read from `lowest` include all of it; those past `below` are dropped here.
  const candidatesSql = `SELECT rowid FROM messages_fts
    WHERE messages_fts MATCH ? AND rowid >= ? ORDER BY rowid ASC LIMIT ?`
  const checkSql = `SELECT m.id FROM ${messages}
    WHERE m.id IN (SELECT value FROM json_each(?))${where.map((w) => ` AND ${w}`).join('')}
    ORDER BY m.id DESC`
  if (explain) {
    for (const [sql, params] of [
      [candidatesSql, [mainExpr, lowest, Math.max(0, below - lowest)]],
      [checkSql, ['[]', ...whereParams]],
    ] as const) {
      const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]
      explain.push(...rows.map((r) => r.detail))
    }
    return []
  }
  const read = db
    .prepare<[string, number, number], number>(candidatesSql)
    .pluck()
    .all(mainExpr, lowest, below - lowest)
  let inRange = read.length
  while (inRange > 0 && (read[inRange - 1] as number) >= below) inRange--
  const candidates = read.slice(0, inRange)
  const check = db.prepare<unknown[], number>(checkSql).pluck()
  const ids: number[] = []
  for (let end = candidates.length; end > 0 && ids.length < limit; end -= WALK_UP_CHUNK) {
    const chunk = candidates.slice(Math.max(0, end - WALK_UP_CHUNK), end)
    ids.push(...check.all(JSON.stringify(chunk), ...whereParams))
  }
  return ids.slice(0, limit)
}

/** Candidates checked against the operators at once, newest first (walkUp). */
const WALK_UP_CHUNK = 256

/** Ids per block of message_date_spans (migration 0014): 1 << 10. */
const SPAN_BLOCK = 1024

/**
 * The lowest and highest id among messages dated in the range, or null when
 * none is. The spans of id blocks (message_date_spans) say which blocks may
 * hold such a message; the first such block from the top (and from the
 * bottom) is read from the id index to find the exact id. Reading the range
 * from a date index instead costs every message in the range (a range of
 * years: tens of milliseconds at 150,000 messages).
 */
function idRange(
  db: MailDb,
  dates: { from: number | null; until: number | null },
): { lowest: number; highest: number } | null {
  const from = dates.from ?? Number.MIN_SAFE_INTEGER
  const until = dates.until ?? Number.MAX_SAFE_INTEGER
  const edge = (order: 'ASC' | 'DESC'): number | null => {
    // At most one row per 1,024 messages; the first one or two usually decide.
    const blocks = db
      .prepare<[number, number], { block: number }>(
        `SELECT block FROM message_date_spans
          WHERE last_date >= ? AND first_date < ? ORDER BY block ${order}`,
      )
      .all(from, until)
    const inBlock = db.prepare<[number, number, number, number], { id: number | null }>(
      `SELECT ${order === 'DESC' ? 'max' : 'min'}(m.id) AS id
         FROM messages m INDEXED BY messages_search_filter
        WHERE m.id >= ? AND m.id < ? AND m.date >= ? AND m.date < ?`,
    )
    for (const { block } of blocks) {
      const found = inBlock.get(block * SPAN_BLOCK, (block + 1) * SPAN_BLOCK, from, until)?.id
      if (found !== null && found !== undefined) return found
    }
    return null
  }
  const highest = edge('DESC')
  if (highest === null) return null
  const lowest = edge('ASC')
  return lowest === null ? null : { lowest, highest }
}

/**
 * The clauses as a check on one message `m`: every clause matches either
 * index. This is what the two streams of runParts give together (all
 * clauses in the main index, or some through the extra one); the combined
 * main-index check comes first, as one lookup, since it usually decides.
 */
function textCondition(clauses: Clause[]): { sql: string; params: unknown[] } {
  const inMain = 'EXISTS (SELECT 1 FROM messages_fts WHERE messages_fts MATCH ? AND rowid = m.id)'
  const inExtra =
    'EXISTS (SELECT 1 FROM message_terms WHERE message_terms MATCH ? AND rowid = m.id)'
  const allMain = clauses.every((c) => c.main !== null)
  const mainExpr = allMain ? clauses.map((c) => `(${c.main})`).join(' AND ') : null
  if (!clauses.some((c) => c.extra !== null)) return { sql: inMain, params: [mainExpr] }
  const each: string[] = []
  const params: unknown[] = []
  for (const c of clauses) {
    const either: string[] = []
    if (c.main) {
      either.push(inMain)
      params.push(c.main)
    }
    if (c.extra) {
      either.push(inExtra)
      params.push(c.extra)
    }
    each.push(`(${either.join(' OR ')})`)
  }
  const everyClause = each.join(' AND ')
  return mainExpr
    ? { sql: `(${inMain} OR (${everyClause}))`, params: [mainExpr, ...params] }
    : { sql: `(${everyClause})`, params }
}

/** Unread and starred messages have small partial indexes; anything else walks the filter index. */
function pickFilterIndex(predicates: Predicate[]): string {
  if (predicates.some((p) => p.sql === 'm.seen = 0')) return 'messages_unread'
  if (predicates.some((p) => p.sql === 'm.flagged = 1')) return 'messages_flagged'
  return 'messages_search_filter'
}

function hitsFor(db: MailDb, ids: number[]): SearchHit[] {
  const rows = db
    .prepare<[string], SummaryRow & { folder_name: string }>(
      `SELECT ${summaryColumns}, f.name AS folder_name
         FROM messages m JOIN folders f ON f.id = m.folder_id
        WHERE m.id IN (SELECT value FROM json_each(?))
        ORDER BY m.id DESC`,
    )
    .all(JSON.stringify(ids))
  return rows.map((row) => ({ ...toSummary(row), folderName: row.folder_name }))
}

/** FTS5 string literal. */
function quote(text: string): string {
  return `"${text.replace(/"/g, '""')}"`
}

/** How a free word (or a quoted phrase) is matched in the main index. */
function mainWord(word: SearchWord, column?: string): string | null {
  const text = hasCjk(word.text) ? nonCjkPart(word.text) : word.text
  if (!text) return null
  const tokens = text.match(/[\p{L}\p{N}\p{M}]+/gu) ?? []
  if (tokens.length === 0) return null
  const prefix = word.prefix && (tokens[tokens.length - 1] as string).length >= 2 ? '*' : ''
  const expr = `${quote(tokens.join(' '))}${prefix}`
  return column ? `${column} : ${expr}` : expr
}

function planQuery(db: MailDb, query: SearchQuery): Plan {
  const plan: Plan = {
    clauses: [],
    predicates: [],
    problems: [...query.problems],
    impossible: false,
    dates: {
      from: query.after ? startOf(query.after) : null,
      until: query.before ? startOf(query.before) : null,
    },
  }

  for (const word of query.words) {
    if (hasCjk(word.text)) {
      // The CJK part only in the bigram column; a Latin part of the same word in the main index.
      const cjk = cjkMatch(word.text)
      const rest = mainWord(word)
      plan.clauses.push({ main: null, extra: cjk ? `cjk : (${cjk})` : null })
      if (rest) plan.clauses.push({ main: rest, extra: `names : ${rest}` })
      continue
    }
    const main = mainWord(word)
    if (main) plan.clauses.push({ main, extra: `names : ${main}` })
  }

  for (const word of query.subject) {
    const main = mainWord(word, 'subject')
    if (main) plan.clauses.push({ main, extra: null })
    if (hasCjk(word.text))
      plan.predicates.push({
        sql: 'instr(cairn_fold(m.subject), ?) > 0',
        params: [fold(word.text)],
        covered: false,
      })
  }

  for (const [values, column] of [
    [query.from, 'from'],
    [query.to, 'to'],
  ] as const) {
    for (const value of values) {
      // Narrowed by the participants column of the main index, then checked on the field itself.
      const tokens = value.match(/[\p{L}\p{N}\p{M}]+/gu) ?? []
      const narrowing = tokens
        .filter((t) => !hasCjk(t))
        .map(
          (t, i, all) =>
            `participants : ${quote(t)}${i === all.length - 1 && t.length >= 2 ? '*' : ''}`,
        )
      if (narrowing.length) plan.clauses.push({ main: narrowing.join(' AND '), extra: null })
      plan.predicates.push({
        sql:
          column === 'from'
            ? "instr(cairn_fold(m.from_name || ' ' || m.from_address), ?) > 0"
            : "instr(cairn_fold(m.to_json || ' ' || m.cc_json), ?) > 0",
        params: [fold(value)],
        covered: false,
      })
    }
  }

  for (const name of query.filename) {
    const tokens = name.match(/[\p{L}\p{N}\p{M}]+/gu) ?? []
    if (tokens.length)
      plan.clauses.push({
        main: null,
        extra: tokens
          .map((t, i) => `names : ${quote(t)}${i === tokens.length - 1 ? '*' : ''}`)
          .join(' AND '),
      })
    plan.predicates.push({
      sql: 'EXISTS (SELECT 1 FROM attachments a WHERE a.message_id = m.id AND instr(cairn_fold(a.filename), ?) > 0)',
      params: [fold(name)],
      covered: false,
    })
  }

  if (query.folders.length > 0) {
    const ids = new Set<number>()
    for (const name of query.folders) {
      const found = foldersNamed(db, name)
      if (found.length === 0) plan.problems.push(`No folder is called "${name}".`)
      for (const id of found) ids.add(id)
    }
    if (ids.size === 0) plan.impossible = true
    plan.predicates.push({
      sql: `m.folder_id IN (${[...ids].map(() => '?').join(', ') || 'NULL'})`,
      params: [...ids],
      covered: true,
    })
  }
  if (query.hasAttachment)
    plan.predicates.push({ sql: 'm.has_attachments = 1', params: [], covered: true })
  if (query.unread === true) plan.predicates.push({ sql: 'm.seen = 0', params: [], covered: true })
  if (query.unread === false) plan.predicates.push({ sql: 'm.seen = 1', params: [], covered: true })
  if (query.starred === true)
    plan.predicates.push({ sql: 'm.flagged = 1', params: [], covered: true })
  if (query.starred === false)
    plan.predicates.push({ sql: 'm.flagged = 0', params: [], covered: true })
  if (query.after)
    plan.predicates.push({ sql: 'm.date >= ?', params: [startOf(query.after)], covered: true })
  if (query.before)
    // Undated messages (0) are not "before" anything.
    plan.predicates.push({
      sql: 'm.date < ? AND m.date > 0',
      params: [startOf(query.before)],
      covered: true,
    })
  if (query.after && query.before && startOf(query.after) >= startOf(query.before)) {
    // Nothing is both: say so rather than walk every match to find none.
    plan.problems.push('after: is not earlier than before:, so nothing can match.')
    plan.impossible = true
  }
  return plan
}

/** Folders `in:` names: by role (in:inbox), by path (in:Work/Q3) or by name, in any account. */
function foldersNamed(db: MailDb, name: string): number[] {
  const role = ROLE_NAMES[name.toLowerCase()]
  const rows = db
    .prepare<[string, string, string], { id: number }>(
      `SELECT id FROM folders
        WHERE special_use = ? OR path = ? COLLATE NOCASE OR name = ? COLLATE NOCASE`,
    )
    .all(role ?? '', name, name)
  return rows.map((r) => r.id)
}

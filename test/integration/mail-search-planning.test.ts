import { describe, expect, it } from 'vitest'
import {
  countMatches,
  explainSearch,
  FLAG_DRIVEN_MAX,
  searchMessages,
  type Drive,
} from '../../main/mail/search/search-messages'
import { ensureLocalAccount } from '../../main/mail/store/accounts'
import { ensureFolder } from '../../main/mail/store/folders'
import { messageWriter } from '../../main/mail/store/messages'
import { tempMailDb } from '../support/mail-db'

/** A small word-salad mailbox: most messages to "me", a few starred, some unread, some with files. */
function corpus(size: number) {
  const { db } = tempMailDb()
  const account = ensureLocalAccount(db)
  const inbox = ensureFolder(db, account, 'Inbox')
  const insert = messageWriter(db)
  const vocabulary = ['budget', 'review', 'meeting', 'invoice', 'travel', 'report', 'lunch']
  let seed = 11
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) as number
  const pick = () => vocabulary[Math.floor(random() * vocabulary.length)] as string
  db.transaction(() => {
    for (let i = 0; i < size; i++)
      insert({
        folderId: inbox,
        messageId: `p${i}@example.com`,
        contentHash: `p${i}`,
        inReplyTo: '',
        references: [],
        subject: `${pick()} ${pick()}`,
        from: { name: `Person ${i % 40}`, address: `person${i % 40}@example.com` },
        to: [
          { name: i % 5 === 0 ? 'Team' : 'Me', address: i % 5 === 0 ? 'team@x.org' : 'me@x.org' },
        ],
        cc: [],
        // Dates shuffled against ids, as after a sync of old mail: id bounds must not assume order.
        date: Date.UTC(2024, 0, 1) + ((i * 7919) % size) * 3_600_000,
        seen: i % 3 !== 0,
        flagged: i % 37 === 0,
        snippet: '',
        text: `${pick()} ${pick()} ${pick()}${i % 41 === 0 ? ' 会议记录已经发送' : ''}`,
        html: null,
        size: 100,
        attachments:
          i % 9 === 0
            ? [
                {
                  filename: `${pick()}-${i}.pdf`,
                  mimeType: 'application/pdf',
                  size: 10,
                  sha256: 'a'.repeat(64),
                  contentId: null,
                  disposition: 'attachment' as const,
                },
              ]
            : [],
      })
  })()
  return db
}

/** Every id `query` finds, page by page (pages of 7, so the cursor is crossed many times). */
function allIds(db: ReturnType<typeof corpus>, query: string, drive: Drive): number[] {
  const ids: number[] = []
  let before: number | undefined
  for (;;) {
    const page = searchMessages(db, query, { limit: 7, before, drive })
    ids.push(...page.hits.map((h) => h.id))
    if (page.next === null) return ids
    before = page.next
  }
}

const QUERIES = [
  'to:me budget is:starred',
  'to:me budget review is:starred',
  'budget is:unread',
  'meet is:starred',
  'to:team invoice is:unread',
  'from:person3 is:starred',
  'invoice is:starred is:unread',
  'filename:pdf is:starred',
  'travel has:attachment is:unread',
  '会议 is:starred',
  'report 会议 is:unread',
  'nosuchword is:starred',
  'budget after:2024-02-01 before:2024-03-01',
  'review before:2024-02',
  'after:2024-04 invoice is:starred',
  'report after:2024-03-15 has:attachment',
  '会议 after:2024-02',
]

describe('mail search planning (is:starred / is:unread beside words)', () => {
  it('finds the same messages starting from the flags or bounded by dates as from the text, page by page and counted', () => {
    const db = corpus(3000)
    for (const query of QUERIES) {
      const fromText = allIds(db, query, 'text')
      expect(allIds(db, query, 'flag'), query).toEqual(fromText)
      expect(allIds(db, query, 'auto'), query).toEqual(fromText)
      expect(countMatches(db, query, { drive: 'flag' }), query).toBe(fromText.length)
      expect(countMatches(db, query, { drive: 'text' }), query).toBe(fromText.length)
      expect(
        searchMessages(db, query, { limit: 50 }).hits.map((h) => h.id),
        query,
      ).toEqual(fromText.slice(0, 50))
    }
    // The comparison means something: most queries find messages, not all the same ones.
    const found = QUERIES.map((q) => countMatches(db, q))
    expect(found.filter((n) => n > 0).length).toBeGreaterThanOrEqual(QUERIES.length - 2)
    expect(new Set(found).size).toBeGreaterThan(5)
  })

  it('starts from the few starred messages, not from every text match', () => {
    const db = corpus(3000)
    const plan = explainSearch(db, 'to:me budget is:starred')
    expect(plan[0], plan.join('\n')).toMatch(/messages_flagged/)
    expect(plan.join('\n')).not.toMatch(/^SCAN f VIRTUAL TABLE/m)
  })

  it('starts from the text when the flagged messages are many', () => {
    const many = corpus(FLAG_DRIVEN_MAX + 500)
    many.exec('UPDATE messages SET seen = 0')
    const plan = explainSearch(many, 'budget is:unread')
    expect(plan[0], plan.join('\n')).toMatch(/VIRTUAL TABLE/)
    expect(allIds(many, 'budget is:unread', 'auto')).toEqual(allIds(many, 'budget', 'text'))
  })

  it('bounds the text walk by the ids of the messages in an after:/before: range', () => {
    const db = corpus(3000)
    const plan = explainSearch(db, 'budget after:2024-02-01 before:2024-03-01')
    // FTS5's plan: "<" an upper rowid bound (the page cursor), ">" a lower one (the range's first id).
    expect(plan[0], plan.join('\n')).toMatch(/^SCAN f VIRTUAL TABLE INDEX \d+:M\d+<>$/)
    expect(explainSearch(db, 'budget')[0]).toMatch(/^SCAN f VIRTUAL TABLE INDEX \d+:M\d+<$/)
    // No message in the range: nothing to walk at all.
    expect(explainSearch(db, 'budget after:2030-01-01')).toEqual([])
  })

  it('finds the same messages by date after messages moved in time or went away (date spans wider than their messages)', () => {
    const db = corpus(5000)
    // Dates changed and messages deleted: the blocks' spans (0014) only widen, never narrow.
    db.exec(`UPDATE messages SET date = date + 40 * 86400000 WHERE id % 7 = 0`)
    db.exec(`DELETE FROM messages WHERE id % 11 = 0 OR id BETWEEN 4000 AND 4500`)
    for (const query of [
      'budget after:2024-02-01 before:2024-03-01',
      'review after:2024-07-01',
      'report before:2024-01-10',
      'invoice after:2024-06-20 before:2024-06-25',
      'lunch after:2030-01-01',
    ]) {
      const fromText = allIds(db, query, 'text')
      expect(allIds(db, query, 'auto'), query).toEqual(fromText)
      expect(countMatches(db, query), query).toBe(fromText.length)
    }
    expect(allIds(db, 'review after:2024-07-01', 'auto').length).toBeGreaterThan(0)
  })

  it('finds an old message whose date moved into a recent range (the span of its id block widens)', () => {
    const { db } = tempMailDb()
    const inbox = ensureFolder(db, ensureLocalAccount(db), 'Inbox')
    const insert = messageWriter(db)
    const day = 86_400_000
    // Ids in date order, as an import of an old mailbox gives them: blocks with narrow spans.
    db.transaction(() => {
      for (let i = 0; i < 3000; i++)
        insert({
          folderId: inbox,
          messageId: `c${i}@example.com`,
          contentHash: `c${i}`,
          inReplyTo: '',
          references: [],
          subject: `entry ${i}`,
          from: { name: 'Log', address: 'log@example.com' },
          to: [],
          cc: [],
          date: Date.UTC(2020, 0, 1) + i * (day / 4),
          seen: true,
          flagged: false,
          snippet: '',
          text: 'ledger entry',
          html: null,
          size: 10,
          attachments: [],
        })
    })()
    expect(allIds(db, 'ledger after:2024-01-01', 'auto')).toEqual([])
    // A message of the first block gets a date years later (a server's corrected date).
    db.exec(`UPDATE messages SET date = ${Date.UTC(2024, 5, 1)} WHERE id = 5`)
    expect(allIds(db, 'ledger after:2024-01-01', 'text')).toEqual([5])
    expect(allIds(db, 'ledger after:2024-01-01', 'auto')).toEqual([5])
    expect(countMatches(db, 'ledger after:2024-01-01')).toBe(1)

    // A range early in the ids is read upwards (the newer matches are not stepped over),
    // with the same messages, page by page, as the plain walk down the text matches.
    const early = 'ledger after:2020-01-20 before:2020-06-01'
    expect(explainSearch(db, early).join('\n')).toMatch(/json_each/)
    expect(explainSearch(db, 'ledger after:2022-01-01').join('\n')).not.toMatch(/json_each/)
    for (const query of [
      early,
      'entry before:2020-03-01',
      'ledger after:2020-02-01 before:2020-02-02',
    ]) {
      const fromText = allIds(db, query, 'text')
      expect(fromText.length, query).toBeGreaterThan(0)
      expect(allIds(db, query, 'auto'), query).toEqual(fromText)
      expect(searchMessages(db, query, { limit: 50 }).hits.map((h) => h.id)).toEqual(
        fromText.slice(0, 50),
      )
    }
  })

  it('finds nothing, at once, when after: is not before before:', () => {
    const db = corpus(3000)
    const page = searchMessages(db, 'budget after:2024-03-01 before:2024-02-01', { limit: 50 })
    expect(page.hits).toEqual([])
    expect(page.problems.join(' ')).toMatch(/after: is not earlier than before:/)
    expect(explainSearch(db, 'budget after:2024-03-01 before:2024-03-01')).toEqual([])
    expect(countMatches(db, 'budget after:2024-02-01 before:2024-03-01')).toBeGreaterThan(0)
  })
})

import { describe, expect, it } from 'vitest'
import { parseDateBound, parseSearchQuery, startOf } from '../../../main/mail/search/query'

describe('the search query parser', () => {
  it('reads free words, the last one still being typed as a prefix', () => {
    expect(parseSearchQuery('quarterly budg').words).toEqual([
      { text: 'quarterly', phrase: false, prefix: false },
      { text: 'budg', phrase: false, prefix: true },
    ])
    // A trailing space closes the last word.
    expect(parseSearchQuery('budget ').words).toEqual([
      { text: 'budget', phrase: false, prefix: false },
    ])
  })

  it('keeps a quoted phrase together', () => {
    expect(parseSearchQuery('"budget review" q3').words).toEqual([
      { text: 'budget review', phrase: true, prefix: false },
      { text: 'q3', phrase: false, prefix: true },
    ])
  })

  it('reads every operator, case-insensitively, with quoted values', () => {
    const q = parseSearchQuery(
      'From:Alice to:bob@example.com subject:"q3 plan" has:attachment filename:report.pdf in:"Work/Q3" is:unread IS:Starred before:2024-03-01 after:2023/12',
    )
    expect(q.from).toEqual(['alice'])
    expect(q.to).toEqual(['bob@example.com'])
    expect(q.subject).toEqual([{ text: 'q3 plan', phrase: true, prefix: false }])
    expect(q.hasAttachment).toBe(true)
    expect(q.filename).toEqual(['report.pdf'])
    expect(q.folders).toEqual(['Work/Q3'])
    expect(q.unread).toBe(true)
    expect(q.starred).toBe(true)
    expect(q.before).toEqual({ year: 2024, month: 3, day: 1 })
    expect(q.after).toEqual({ year: 2023, month: 12, day: null })
    expect(q.words).toEqual([])
    expect(q.problems).toEqual([])
  })

  it('searches unknown operators and colons as text', () => {
    const q = parseSearchQuery('re:meeting at 10:30')
    expect(q.words.map((w) => w.text)).toEqual(['re', 'meeting', 'at', '10', '30'])
  })

  it('says what an operator cannot use, and ignores it', () => {
    const q = parseSearchQuery('before:yesterday is:important has:pony invoice')
    expect(q.before).toBeNull()
    expect(q.problems).toEqual([
      'before: needs a date such as 2024-03-15, 2024-03 or 2024, not "yesterday".',
      'is: knows unread, read, starred and unstarred, not "important".',
      'has: knows "attachment" only, not "pony".',
    ])
    expect(q.words.map((w) => w.text)).toEqual(['invoice'])
  })

  it('does not complain about an operator value that is still being typed', () => {
    expect(parseSearchQuery('is:unre').problems).toEqual([])
    expect(parseSearchQuery('before:2024-0').problems).toEqual([])
  })

  it('neutralises FTS syntax: words only, never operators of the index', () => {
    const q = parseSearchQuery('NOT (a OR b*) ^c NEAR/2')
    expect(q.words.map((w) => w.text)).toEqual(['NOT', 'a', 'OR', 'b', 'c', 'NEAR', '2'])
  })

  it('keeps CJK and accented words whole', () => {
    expect(parseSearchQuery('会议 Grüße').words.map((w) => w.text)).toEqual(['会议', 'Grüße'])
  })

  it('validates dates and turns them into local midnights', () => {
    expect(parseDateBound('2024-02-30')).toBeNull()
    expect(parseDateBound('2024-13')).toBeNull()
    expect(parseDateBound('1969')).toBeNull()
    expect(parseDateBound('2024.2.29')).toEqual({ year: 2024, month: 2, day: 29 })
    expect(startOf({ year: 2024, month: 3, day: null })).toBe(new Date(2024, 2, 1).getTime())
    expect(startOf({ year: 2024, month: null, day: null })).toBe(new Date(2024, 0, 1).getTime())
  })
})

import { describe, expect, it } from 'vitest'
import {
  ArchivePageCollector,
  CatchUpLimits,
  pageToContinueFrom,
} from '../../main/chat/archive-paging'
import type { IncomingMessage } from '../../main/chat/protocol/incoming'

/** An archive result with just what paging looks at. */
const result = (n: number) => ({ archiveId: `a${n}`, body: `m${n}` }) as IncomingMessage
const ids = (messages: IncomingMessage[]) => messages.map((m) => m.archiveId)

describe('one archive page holds at most what was asked for', () => {
  it('paging forward keeps the first results and counts the rest as ignored', () => {
    const page = new ArchivePageCollector(3, 'after')
    for (let n = 1; n <= 100_000; n++) page.add(result(n))
    expect(ids(page.messages())).toEqual(['a1', 'a2', 'a3'])
    expect(page.ignored).toBe(99_997)
  })

  it('paging backward keeps the last results (the ones next to the cursor), never more than twice the page', () => {
    const page = new ArchivePageCollector(3, 'before')
    for (let n = 1; n <= 10; n++) page.add(result(n))
    expect(ids(page.messages())).toEqual(['a8', 'a9', 'a10'])
    expect(page.ignored).toBe(7)
  })

  it('a page within its size is kept whole', () => {
    const page = new ArchivePageCollector(3, 'before')
    page.add(result(1))
    page.add(result(2))
    expect(ids(page.messages())).toEqual(['a1', 'a2'])
    expect(page.ignored).toBe(0)
  })

  it('an overfilled page continues from the edge of what was kept, and is never the end', () => {
    const messages = [result(1), result(2)]
    const page = { messages, complete: true, first: 'a1', last: 'a300' }
    expect(pageToContinueFrom(page, 'after', 0)).toBe(page)
    expect(pageToContinueFrom(page, 'after', 298)).toMatchObject({ complete: false, last: 'a2' })
    expect(pageToContinueFrom({ ...page, first: 'a0', messages }, 'before', 5)).toMatchObject({
      complete: false,
      first: 'a1',
    })
  })
})

describe('one catch-up pages a bounded number of times', () => {
  it('stops at a cursor it has seen before in the same direction, even in a cycle', () => {
    const limits = new CatchUpLimits(100)
    expect(limits.next('after', null)).toBeNull()
    expect(limits.next('after', 'x')).toBeNull()
    expect(limits.next('after', 'y')).toBeNull()
    expect(limits.next('before', 'x')).toBeNull() // another direction: another position
    expect(limits.next('after', 'x')).toMatch(/same position twice \("x"\)/)
  })

  it('stops after the most pages, saying the rest comes later', () => {
    const limits = new CatchUpLimits(3)
    expect([1, 2, 3].map((n) => limits.next('after', `c${n}`))).toEqual([null, null, null])
    expect(limits.next('after', 'c4')).toMatch(/asked for 3 pages; the rest follows/)
  })
})

import { describe, expect, it } from 'vitest'
import { dateFormatters, hourCycleFor, senderLabel } from '../../../common/dates'

// 00:16:13 UTC: the minute after midnight that some formatters write as "24:16".
const afterMidnight = Date.UTC(2026, 2, 3, 0, 16, 13)

describe('dates in the locale’s own format', () => {
  it('never writes midnight as hour 24, whatever the locale asks for', () => {
    for (const locale of ['de-DE', 'en-GB', 'ja-JP', 'fr-FR', 'en-US-u-hc-h24', 'de-DE-u-hc-h24']) {
      const f = dateFormatters(locale, 'UTC')
      expect(f.time(afterMidnight), locale).not.toMatch(/24/)
      expect(f.fullDate(afterMidnight), locale).not.toMatch(/\b24:/)
    }
    expect(dateFormatters('de-DE', 'UTC').time(afterMidnight)).toBe('00:16')
    expect(dateFormatters('en-US-u-hc-h24', 'UTC').time(afterMidnight)).toBe('00:16')
  })

  it('keeps a 12-hour clock where the locale uses one, with 12 for the first hour', () => {
    expect(hourCycleFor('en-US')).toBe('h12')
    expect(hourCycleFor('ja-JP-u-hc-h11')).toBe('h12')
    expect(dateFormatters('en-US', 'UTC').time(afterMidnight)).toMatch(/^12:16\sAM$/)
  })

  it('shows no date for a message without one, in the list and the reader', () => {
    const f = dateFormatters('en-GB', 'UTC')
    expect(f.listDate(0)).toBe('')
    expect(f.fullDate(0)).toBe('')
    const now = new Date(Date.UTC(2026, 2, 3, 12))
    expect(f.listDate(afterMidnight, now)).toBe('00:16')
    expect(f.listDate(Date.UTC(2026, 0, 9), now)).toBe('9 Jan')
    expect(f.listDate(Date.UTC(2024, 0, 9), now)).toBe('9 Jan 2024')
  })

  it('names a missing sender the same way everywhere', () => {
    expect(senderLabel({ name: '', address: '' })).toBe('(no sender)')
    expect(senderLabel({ name: '', address: 'a@x' })).toBe('a@x')
    expect(senderLabel({ name: 'Ann', address: 'a@x' })).toBe('Ann')
  })
})

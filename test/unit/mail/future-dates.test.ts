import type { FetchMessageObject } from 'imapflow'
import { describe, expect, it } from 'vitest'
import { parseMessage } from '../../../main/mail/import/parse-message'
import { FUTURE_SLACK_MS, plausibleDate } from '../../../main/mail/message-date'
import { toRemoteHeader } from '../../../main/mail/sync/envelope'

const now = Date.UTC(2026, 10, 28, 12)
const arrived = Date.UTC(2026, 10, 27, 8)

describe('a message dated in the future is sorted by when it arrived', () => {
  it('believes a date up to a day ahead (skewed clocks), not further', () => {
    expect(plausibleDate(arrived - 1000, arrived, now)).toBe(arrived - 1000)
    expect(plausibleDate(now + FUTURE_SLACK_MS, arrived, now)).toBe(now + FUTURE_SLACK_MS)
    expect(plausibleDate(now + FUTURE_SLACK_MS + 1, arrived, now)).toBe(arrived)
    expect(plausibleDate(Date.UTC(2099, 0, 1), arrived, now)).toBe(arrived)
    // Old mail keeps its own date, however long before its arrival it was written.
    expect(plausibleDate(Date.UTC(1999, 0, 1), arrived, now)).toBe(Date.UTC(1999, 0, 1))
  })

  it('falls back to nothing when the arrival is unknown or in the future too', () => {
    expect(plausibleDate(Date.UTC(2099, 0, 1), null, now)).toBeNull()
    expect(plausibleDate(Date.UTC(2099, 0, 1), Date.UTC(2098, 0, 1), now)).toBeNull()
    expect(plausibleDate(null, arrived, now)).toBe(arrived)
    expect(plausibleDate(Number.NaN, arrived, now)).toBe(arrived)
  })

  it('in sync: an envelope dated in the year 99999 takes the server’s arrival date', () => {
    const header = toRemoteHeader({
      seq: 1,
      uid: 7,
      envelope: { date: new Date(8_000_000_000_000_000), subject: 'Top of your inbox forever' },
      internalDate: new Date(arrived),
    } as FetchMessageObject)
    expect(header.date).toBe(arrived)
    const honest = toRemoteHeader({
      seq: 2,
      uid: 8,
      envelope: { date: new Date(arrived - 60_000) },
      internalDate: new Date(arrived),
    } as FetchMessageObject)
    expect(honest.date).toBe(arrived - 60_000)
  })

  it('in imports: a message dated 2099 takes its newest Received time, or no date', async () => {
    const message = (headers: string) =>
      Buffer.from(
        `${headers}From: spam@example.test\r\nTo: ann@example.test\r\nSubject: offer\r\n` +
          'Date: Thu, 01 Jan 2099 00:00:00 +0000\r\n\r\nbody\r\n',
      )
    const received = await parseMessage(
      message('Received: from mx.example.test; Fri, 27 Nov 2026 08:00:00 +0000\r\n'),
    )
    expect(received.date).toBe(arrived)
    expect((await parseMessage(message(''))).date).toBeNull()
  })
})

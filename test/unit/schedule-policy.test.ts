import { describe, expect, it } from 'vitest'
import { nextDue, retryDelayMs, type SchedulePolicy } from '../../main/backup/schedule/policy'

// Local times: the policies speak of the user's clock.
const at = (y: number, mo: number, d: number, h = 0, mi = 0) => new Date(y, mo - 1, d, h, mi)

describe('backup schedule', () => {
  it('runs every N hours after the last success, at once when never run', () => {
    const policy: SchedulePolicy = { kind: 'interval', hours: 6 }
    expect(nextDue(policy, null, at(2026, 11, 27, 9))).toEqual(at(2026, 11, 27, 9))
    expect(nextDue(policy, at(2026, 11, 27, 8), at(2026, 11, 27, 9))).toEqual(at(2026, 11, 27, 14))
  })

  it('runs daily at a time, and makes up one missed run, not each', () => {
    const policy: SchedulePolicy = { kind: 'daily', time: '02:30' }
    // Done today at 02:31: next is tomorrow 02:30.
    expect(nextDue(policy, at(2026, 11, 27, 2, 31), at(2026, 11, 27, 9))).toEqual(
      at(2026, 11, 28, 2, 30),
    )
    // Closed for three days: due now (since this morning's slot).
    const missed = nextDue(policy, at(2026, 11, 24, 2, 31), at(2026, 11, 27, 9))
    expect(missed <= at(2026, 11, 27, 9)).toBe(true)
    expect(missed).toEqual(at(2026, 11, 27, 2, 30))
    // Before today's slot, yesterday done: next is today's slot.
    expect(nextDue(policy, at(2026, 11, 26, 2, 35), at(2026, 11, 27, 1))).toEqual(
      at(2026, 11, 27, 2, 30),
    )
  })

  it('runs weekly on a weekday at a time', () => {
    const policy: SchedulePolicy = { kind: 'weekly', weekday: 0, time: '20:00' } // Sundays
    // 2026-11-27 is a Friday; last Sunday was 11-22.
    expect(nextDue(policy, at(2026, 11, 22, 20, 5), at(2026, 11, 27, 9))).toEqual(
      at(2026, 11, 29, 20),
    )
    expect(nextDue(policy, at(2026, 11, 15, 20, 5), at(2026, 11, 27, 9))).toEqual(
      at(2026, 11, 22, 20),
    )
    expect(nextDue(policy, null, at(2026, 11, 27, 9))).toEqual(at(2026, 11, 22, 20))
  })

  it('backs off after failures: 5 minutes, doubling, at most 6 hours', () => {
    expect([0, 1, 2, 3].map(retryDelayMs)).toEqual([0, 300_000, 600_000, 1_200_000])
    expect(retryDelayMs(20)).toBe(6 * 3_600_000)
  })

  it('a last success dated in the future (the clock was ahead) does not hold backups back', () => {
    const now = at(2026, 11, 27, 9)
    const future = at(2030, 1, 1, 12)
    expect(nextDue({ kind: 'interval', hours: 6 }, future, now)).toEqual(now)
    expect(nextDue({ kind: 'daily', time: '02:30' }, future, now) <= now).toBe(true)
  })
})

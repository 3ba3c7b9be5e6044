import { describe, expect, it } from 'vitest'
import { RETENTION_PRESETS } from '../../../main/backup/manager/backup-config'
import { schedulePolicySchema } from '../../../main/backup/schedule/policy'
import {
  describeRetention,
  formFromRetention,
  maxKept,
  retentionFromForm,
} from '../../../renderer/backup/retention-form'
import {
  DEFAULT_SCHEDULE_FORM,
  describeSchedule,
  formFromPolicy,
  policyFromForm,
} from '../../../renderer/backup/schedule-form'

describe('the schedule controls', () => {
  it('turn every policy into the form and back unchanged', () => {
    for (const policy of [
      null,
      { kind: 'interval', hours: 6 },
      { kind: 'daily', time: '02:30' },
      { kind: 'weekly', weekday: 3, time: '20:00' },
    ] as const) {
      const back = policyFromForm(formFromPolicy(policy))
      expect(back).toEqual({ ok: true, policy })
      // What the form makes is what the engine accepts.
      if (back.ok && back.policy)
        expect(schedulePolicySchema.safeParse(back.policy).success).toBe(true)
    }
  })

  it('say what is wrong with hours and times', () => {
    expect(policyFromForm({ ...DEFAULT_SCHEDULE_FORM, mode: 'hours', hours: '0' })).toMatchObject({
      ok: false,
      problem: /1 to 168/,
    })
    expect(policyFromForm({ ...DEFAULT_SCHEDULE_FORM, mode: 'hours', hours: '2.5' }).ok).toBe(false)
    expect(
      policyFromForm({ ...DEFAULT_SCHEDULE_FORM, mode: 'daily', time: '25:00' }),
    ).toMatchObject({ ok: false, problem: /like 02:30/ })
  })

  it('default to daily at 02:00 and describe policies in words', () => {
    expect(policyFromForm(DEFAULT_SCHEDULE_FORM)).toEqual({
      ok: true,
      policy: { kind: 'daily', time: '02:00' },
    })
    expect(describeSchedule({ kind: 'weekly', weekday: 0, time: '20:00' })).toBe(
      'every Sunday at 20:00',
    )
    expect(describeSchedule({ kind: 'interval', hours: 1 })).toBe('every hour')
    expect(describeSchedule(null)).toMatch(/^off/)
  })
})

describe('the retention controls', () => {
  it('recognise a preset, and call anything else custom', () => {
    expect(formFromRetention(RETENTION_PRESETS.standard, RETENTION_PRESETS).choice).toBe('standard')
    const custom = formFromRetention(
      { keepLast: 2, daily: 1, weekly: 0, monthly: 0 },
      RETENTION_PRESETS,
    )
    expect(custom.choice).toBe('custom')
    expect(retentionFromForm(custom, RETENTION_PRESETS)).toEqual({
      ok: true,
      policy: { keepLast: 2, daily: 1, weekly: 0, monthly: 0 },
    })
  })

  it('refuse custom numbers that are not whole, and keeping fewer than one', () => {
    const form = formFromRetention(RETENTION_PRESETS.few, RETENTION_PRESETS)
    expect(
      retentionFromForm({ ...form, choice: 'custom', keepLast: '0' }, RETENTION_PRESETS),
    ).toMatchObject({ ok: false, problem: /Keep the last.*from 1/ })
    expect(
      retentionFromForm({ ...form, choice: 'custom', weekly: '-1' }, RETENTION_PRESETS).ok,
    ).toBe(false)
    expect(
      retentionFromForm({ ...form, choice: 'custom', monthly: 'x' }, RETENTION_PRESETS).ok,
    ).toBe(false)
  })

  it('describe a policy in words', () => {
    expect(describeRetention({ keepLast: 3, daily: 7, weekly: 4, monthly: 12 })).toBe(
      'Keeps the last 3, plus one a day for 7 days, one a week for 4 weeks and one a month for 12 months.',
    )
    expect(describeRetention({ keepLast: 1, daily: 0, weekly: 0, monthly: 0 })).toBe(
      'Keeps the last 1.',
    )
    expect(maxKept(RETENTION_PRESETS.standard)).toBe(26)
  })
})

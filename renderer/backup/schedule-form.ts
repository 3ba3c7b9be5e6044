import type { SchedulePolicy } from '../../main/backup/schedule/policy'

export type ScheduleMode = 'off' | 'hours' | 'daily' | 'weekly'

/** The schedule controls' state (kept whole while the user switches modes). */
export interface ScheduleForm {
  mode: ScheduleMode
  hours: string
  time: string
  weekday: number
}

export const WEEKDAYS = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
] as const

export const DEFAULT_SCHEDULE_FORM: ScheduleForm = {
  mode: 'daily',
  hours: '6',
  time: '02:00',
  weekday: 0,
}

export function formFromPolicy(policy: SchedulePolicy | null): ScheduleForm {
  if (!policy) return { ...DEFAULT_SCHEDULE_FORM, mode: 'off' }
  if (policy.kind === 'interval')
    return { ...DEFAULT_SCHEDULE_FORM, mode: 'hours', hours: String(policy.hours) }
  if (policy.kind === 'daily') return { ...DEFAULT_SCHEDULE_FORM, mode: 'daily', time: policy.time }
  return { ...DEFAULT_SCHEDULE_FORM, mode: 'weekly', time: policy.time, weekday: policy.weekday }
}

/** The policy the form describes, or what is wrong with it. */
export function policyFromForm(
  form: ScheduleForm,
): { ok: true; policy: SchedulePolicy | null } | { ok: false; problem: string } {
  if (form.mode === 'off') return { ok: true, policy: null }
  if (form.mode === 'hours') {
    const hours = Number(form.hours)
    if (!/^\d+$/.test(form.hours.trim()) || hours < 1 || hours > 168)
      return { ok: false, problem: 'Give a whole number of hours from 1 to 168 (a week).' }
    return { ok: true, policy: { kind: 'interval', hours } }
  }
  if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(form.time))
    return { ok: false, problem: 'Give the time as hours and minutes, like 02:30.' }
  if (form.mode === 'daily') return { ok: true, policy: { kind: 'daily', time: form.time } }
  if (!Number.isInteger(form.weekday) || form.weekday < 0 || form.weekday > 6)
    return { ok: false, problem: 'Choose a day of the week.' }
  return { ok: true, policy: { kind: 'weekly', weekday: form.weekday, time: form.time } }
}

/** "every day at 02:00", "every 6 hours", "off". */
export function describeSchedule(policy: SchedulePolicy | null): string {
  if (!policy) return 'off: backups run only when you ask'
  if (policy.kind === 'interval')
    return policy.hours === 1 ? 'every hour' : `every ${policy.hours} hours`
  if (policy.kind === 'daily') return `every day at ${policy.time}`
  return `every ${WEEKDAYS[policy.weekday] ?? '?'} at ${policy.time}`
}

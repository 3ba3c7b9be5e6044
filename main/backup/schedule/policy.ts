import { z } from 'zod'

/**
 * When backups run: every N hours, daily at a local time, or weekly on a
 * day at a local time. A run that was missed (the app was closed, the
 * machine asleep) is made up as soon as possible; missing ten runs makes up
 * one, not ten.
 */
const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:MM')

export const schedulePolicySchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('interval'),
      hours: z
        .number()
        .int()
        .min(1)
        .max(24 * 7),
    })
    .strict(),
  z.object({ kind: z.literal('daily'), time }).strict(),
  z.object({ kind: z.literal('weekly'), weekday: z.number().int().min(0).max(6), time }).strict(),
])

export type SchedulePolicy = z.infer<typeof schedulePolicySchema>

/** The most recent moment, at or before `now`, when the policy wanted a backup; null for an interval policy. */
export function lastSlot(policy: SchedulePolicy, now: Date): Date | null {
  if (policy.kind === 'interval') return null
  const [hours, minutes] = policy.time.split(':').map(Number) as [number, number]
  const slot = new Date(now.getFullYear(), now.getMonth(), now.getDate(), hours, minutes, 0, 0)
  if (policy.kind === 'daily') {
    if (slot > now) slot.setDate(slot.getDate() - 1)
    return slot
  }
  const back = (slot.getDay() - policy.weekday + 7) % 7
  slot.setDate(slot.getDate() - back)
  if (slot > now) slot.setDate(slot.getDate() - 7)
  return slot
}

/**
 * When the next backup is due, given the last successful one. At or before
 * `now` means: run now. A last success dated in the future (recorded while
 * the clock was ahead) counts as none, or no backup would run until then.
 */
export function nextDue(policy: SchedulePolicy, lastSuccess: Date | null, now: Date): Date {
  if (lastSuccess && lastSuccess.getTime() > now.getTime()) lastSuccess = null
  if (policy.kind === 'interval') {
    return lastSuccess ? new Date(lastSuccess.getTime() + policy.hours * 3_600_000) : now
  }
  const slot = lastSlot(policy, now) as Date
  if (!lastSuccess || lastSuccess < slot) return slot // missed (or never run): due since the slot
  const next = new Date(slot)
  next.setDate(next.getDate() + (policy.kind === 'daily' ? 1 : 7))
  return next
}

/** Wait after the n-th failure in a row: 5 minutes, doubling, at most 6 hours. */
export function retryDelayMs(consecutiveFailures: number): number {
  if (consecutiveFailures <= 0) return 0
  return Math.min(5 * 60_000 * 2 ** (consecutiveFailures - 1), 6 * 3_600_000)
}

import { dateFormatters } from '../common/dates'

// The locale's formats with the hour cycle fixed (never "24:16"), see common/dates.ts.
const dates = dateFormatters()

/** A list date: the time today, the day this year, the full date before; "" for a message without a date. */
export function formatDate(ms: number, now = new Date()): string {
  return dates.listDate(ms, now)
}

export function formatFullDate(ms: number): string {
  return dates.fullDate(ms)
}

export { senderLabel } from '../common/dates'
export { formatBytes } from '../common/format'

const sameDay = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' })
const sameYear = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' })
const older = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
})
const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' })

/** A list date: the time today, the day this year, the full date before. */
export function formatDate(ms: number, now = new Date()): string {
  const date = new Date(ms)
  if (date.toDateString() === now.toDateString()) return sameDay.format(date)
  if (date.getFullYear() === now.getFullYear()) return sameYear.format(date)
  return older.format(date)
}

export function formatFullDate(ms: number): string {
  return full.format(new Date(ms))
}

export { formatBytes } from '../common/format'

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

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}

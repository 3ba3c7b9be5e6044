/**
 * "3 minutes ago", "in 2 hours", "just now": times relative to now, in
 * words, for backup status lines and notices. Pure, shared by the renderer
 * and the main side (desktop notifications carry the same words).
 */
export function formatRelative(when: Date, now: Date = new Date()): string {
  const seconds = Math.round((when.getTime() - now.getTime()) / 1000)
  const future = seconds > 0
  const abs = Math.abs(seconds)
  if (abs < 45) return future ? 'in a few seconds' : 'just now'
  const units: [number, string][] = [
    [60, 'minute'],
    [3600, 'hour'],
    [86_400, 'day'],
    [7 * 86_400, 'week'],
    [30 * 86_400, 'month'],
    [365 * 86_400, 'year'],
  ]
  let unit = units[0] as [number, string]
  for (const candidate of units) if (abs >= candidate[0] * 0.9) unit = candidate
  // Weeks only up to a month, and days up to two weeks read better than "1 week".
  if (unit[1] === 'week' && abs < 14 * 86_400) unit = units[2] as [number, string]
  const count = Math.max(1, Math.round(abs / unit[0]))
  const phrase = `${count} ${unit[1]}${count === 1 ? '' : 's'}`
  return future ? `in ${phrase}` : `${phrase} ago`
}

/** How long, in words, for durations like "time left": "about 2 minutes", "less than a minute". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'unknown'
  if (seconds < 10) return 'a few seconds'
  if (seconds < 60) return `${Math.round(seconds / 5) * 5} seconds`
  if (seconds < 3600) {
    const minutes = Math.round(seconds / 60)
    return `${minutes} minute${minutes === 1 ? '' : 's'}`
  }
  const hours = Math.floor(seconds / 3600)
  const minutes = Math.round((seconds - hours * 3600) / 60)
  return `${hours} hour${hours === 1 ? '' : 's'}${minutes ? ` ${minutes} min` : ''}`
}

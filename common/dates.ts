import { visibleLine } from './visible-text'

/**
 * Dates and times as the user's locale writes them, shared by the renderer
 * and the main side (reply attributions). Pure: no Node, no DOM.
 *
 * The hour cycle is resolved explicitly: asking Intl for a 24-hour clock
 * with `hour12: false` gives some locales the "h24" cycle, whose midnight
 * hour is 24 ("24:16:13"). Cairn takes the cycle the locale prefers and
 * maps h24 to h23 and h11 to h12, so midnight is 00:16 or 12:16 AM.
 */

export type HourCycle = 'h12' | 'h23'

export function hourCycleFor(locale: string | undefined): HourCycle {
  const preferred = new Intl.DateTimeFormat(locale, { hour: 'numeric' }).resolvedOptions().hourCycle
  return preferred === 'h11' || preferred === 'h12' ? 'h12' : 'h23'
}

export interface DateFormatters {
  /** The time of a message from today ("09:05", "9:05 AM"). */
  time(ms: number): string
  /** A list date: the time today, the day this year, the full date before; "" when undated. */
  listDate(ms: number, now?: Date): string
  /** The reader's full date and time; "" when undated. */
  fullDate(ms: number): string
}

/** Messages stored without any date (no Date and no Received header) have 0. */
export const NO_DATE = 0

export function dateFormatters(locale?: string, timeZone?: string): DateFormatters {
  const hourCycle = hourCycleFor(locale)
  const base = timeZone ? { timeZone } : {}
  // A 24-hour clock writes the hour with two digits (00:16), a 12-hour one without (12:16 AM).
  const hour = hourCycle === 'h23' ? '2-digit' : 'numeric'
  const time = new Intl.DateTimeFormat(locale, {
    ...base,
    hour,
    minute: '2-digit',
    hourCycle,
  })
  const sameYear = new Intl.DateTimeFormat(locale, { ...base, month: 'short', day: 'numeric' })
  const older = new Intl.DateTimeFormat(locale, {
    ...base,
    year: 'numeric',
    month: 'short',
    day: 'numeric',
  })
  const full = new Intl.DateTimeFormat(locale, {
    ...base,
    weekday: 'long',
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour,
    minute: '2-digit',
    hourCycle,
  })
  const dayKey = new Intl.DateTimeFormat('en-CA', {
    ...base,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  })
  return {
    time: (ms) => time.format(ms),
    listDate(ms, now = new Date()) {
      if (ms === NO_DATE) return ''
      const key = dayKey.format(ms)
      const today = dayKey.format(now)
      if (key === today) return time.format(ms)
      if (key.slice(0, 4) === today.slice(0, 4)) return sameYear.format(ms)
      return older.format(ms)
    },
    fullDate: (ms) => (ms === NO_DATE ? '' : full.format(ms)),
  }
}

/** How a sender reads everywhere (list, reader, replies) when a message names none. */
export function senderLabel(from: { name: string; address: string }): string {
  return visibleLine(from.name).trim() || visibleLine(from.address).trim() || '(no sender)'
}

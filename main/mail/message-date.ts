/**
 * How far ahead of now a message's own Date may be and still be believed:
 * clocks are off and time zones are written wrong, by hours, not by days.
 */
export const FUTURE_SLACK_MS = 24 * 60 * 60 * 1000

/**
 * The time a message is sorted and shown by: the date it claims, unless
 * that lies more than a day in the future. A forged or broken future date
 * (spam dated 2099, a year 99999) would otherwise keep the message at the
 * top of every list for good; then its arrival time stands in (the
 * server's INTERNALDATE, the newest Received header), and failing that
 * nothing (`null`).
 */
export function plausibleDate(
  claimed: number | null,
  arrived: number | null,
  now: number = Date.now(),
): number | null {
  const latest = now + FUTURE_SLACK_MS
  const believable = (ms: number | null): ms is number =>
    ms !== null && Number.isFinite(ms) && ms <= latest
  if (believable(claimed)) return claimed
  return believable(arrived) ? arrived : null
}

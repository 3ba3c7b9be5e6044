import { cutToUnits } from './cut-text.js'

/**
 * One line of plain text: no control, formatting or bidirectional-override
 * characters (they could reorder or hide what a notification says), no
 * markup characters (some notification daemons read a subset of HTML),
 * at most `max` characters.
 */
export function plainLine(text: string, max: number): string {
  const line = text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]+/g, ' ')
    .replace(/[<>&]/g, (c) => ({ '<': '‹', '>': '›', '&': '+' })[c] as string)
    .replace(/\s+/g, ' ')
    .trim()
  return line.length > max ? `${cutToUnits(line, max - 1)}…` : line
}

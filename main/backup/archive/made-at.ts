import { z } from 'zod'

const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/**
 * Whether `value` is a time as Cairn writes when a backup (or a chain's
 * link) was made: `Date.prototype.toISOString()` of a clock, exactly. The
 * manifest is inside the encryption, but anyone can encrypt to the public
 * recipient: its text is shown (the restore wizard, `cairn restore` and
 * `verify` on a terminal) and compared (time travel, chain links), so it
 * must be a real day of the calendar (a 30 February would be read as 2
 * March), from 1970 on (no clock Cairn runs on says earlier), with no
 * other characters (a terminal escape, a second line).
 *
 * A date in the future is accepted: the machine that made the backup may
 * have had its clock ahead, and the backup is still the user's. Nothing
 * trusts it either: time travel asks about a backup older than one known,
 * and retention reads dates from file names.
 */
export function isBackupTime(value: string): boolean {
  if (!ISO_MILLIS.test(value)) return false
  const date = new Date(value)
  return (
    !Number.isNaN(date.getTime()) && date.toISOString() === value && date.getUTCFullYear() >= 1970
  )
}

export const backupTimeSchema = z
  .string()
  .refine(isBackupTime, 'not a time as Cairn writes one (YYYY-MM-DDTHH:MM:SS.sssZ, 1970 or later)')

import {
  checkKeyText,
  isAgeSecretKeyText,
  KEY_GROUP_DIGITS,
  KEY_HEX_DIGITS,
} from '../../common/backup-key-text'

export interface KeyEntryView {
  /** The text as the field should show it: hex digits grouped in fours as they are typed. */
  display: string
  /** Hex digits typed so far (for "37 of 64 digits"). */
  digits: number
  /** The key is complete and well-formed. */
  ok: boolean
  /**
   * What is wrong, in the command line's own words; null while the user is
   * still typing a key that can still become right (fewer digits so far),
   * or when it is right.
   */
  problem: string | null
  /** "37 of 64 digits" while typing. */
  progress: string
}

/**
 * Follow a key as it is typed or pasted: group the hex digits in fours
 * (spaces and dashes the user types are dropped, the grouping is ours), and
 * say what is wrong as soon as something is: a character that is not a hex
 * digit, or too many digits. Too few is only said when asked (`final`),
 * since every key is too short while it is typed.
 */
export function keyEntryView(input: string, final = false): KeyEntryView {
  if (isAgeSecretKeyText(input)) {
    const checked = checkKeyText(input)
    return {
      display: input.trim(),
      digits: 0,
      ok: checked.ok,
      problem: checked.ok ? null : checked.message,
      progress: 'an age secret key',
    }
  }
  const raw = input.replace(/[\s-]/g, '')
  const display = (raw.match(new RegExp(`.{1,${KEY_GROUP_DIGITS}}`, 'g')) ?? []).join(' ')
  const checked = checkKeyText(input)
  const digits = raw.length
  const tooFewOnly = !checked.ok && /^[0-9a-f]*$/i.test(raw) && digits < KEY_HEX_DIGITS
  return {
    display,
    digits,
    ok: checked.ok,
    problem: checked.ok || (tooFewOnly && !final) ? null : checked.message,
    progress: `${digits} of ${KEY_HEX_DIGITS} digits`,
  }
}

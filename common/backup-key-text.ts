/**
 * A backup key as people type it: 64 hex digits in 16 groups of 4, with
 * any spaces, dashes or line breaks, in either case, or age's own
 * AGE-SECRET-KEY-1… form. Pure functions with no Node and no DOM, shared by
 * the key parser (main/backup/key/backup-key.ts), so the CLI says it, and the
 * restore wizard, which checks a key live as it is typed with the very same
 * words.
 */

export const KEY_HEX_DIGITS = 64
export const KEY_GROUPS = 16
export const KEY_GROUP_DIGITS = 4

export type KeyTextCheck =
  | { ok: true; kind: 'hex'; hex: string }
  | { ok: true; kind: 'age'; text: string }
  | { ok: false; message: string }

/** Whether `text` looks like age's secret key form (checked further by the parser). */
export function isAgeSecretKeyText(text: string): boolean {
  return /^age-secret-key-1/i.test(text.trim())
}

/**
 * Check typed key text. The messages say exactly what is wrong: no key, a
 * character that is not a hex digit (and where), or how many digits are
 * missing or too many.
 */
export function checkKeyText(input: string): KeyTextCheck {
  const text = input.trim()
  if (text.length === 0) return { ok: false, message: 'No key was given.' }
  if (isAgeSecretKeyText(text)) {
    // 32 bytes in bech32: the prefix, 52 data characters and a 6-character checksum (checked by the parser).
    const data = text.slice('AGE-SECRET-KEY-1'.length)
    const bad = /[^02-9ac-hj-np-z]/i.exec(data)
    if (bad)
      return {
        ok: false,
        message: `This age secret key is not valid: "${bad[0]}" is not a character of age keys.`,
      }
    if (data.length !== 58)
      return {
        ok: false,
        message: `This age secret key is not valid: it has ${data.length + 16} characters; an age secret key has 74.`,
      }
    return { ok: true, kind: 'age', text }
  }
  const digits = text.replace(/[\s-]/g, '')
  const bad = /[^0-9a-f]/i.exec(digits)
  if (bad) {
    return {
      ok: false,
      message:
        `The key contains "${bad[0]}" (after ${bad.index} digits), which is not a hex digit. ` +
        'A backup key uses only 0-9 and a-f; spaces and dashes are ignored.',
    }
  }
  if (digits.length !== KEY_HEX_DIGITS) {
    const diff = digits.length - KEY_HEX_DIGITS
    return {
      ok: false,
      message:
        `The key has ${digits.length} hex digits; a backup key has ${KEY_HEX_DIGITS}. ` +
        (diff < 0
          ? `${-diff} ${-diff === 1 ? 'is' : 'are'} missing.`
          : `There ${diff === 1 ? 'is 1' : `are ${diff}`} too many.`),
    }
  }
  return { ok: true, kind: 'hex', hex: digits.toLowerCase() }
}

/** 64 hex digits as people read them: 16 groups of 4. */
export function groupKeyDigits(hex: string): string[] {
  return hex.match(/.{1,4}/g) ?? []
}

import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { formatKeyAge, parseBackupKey } from '../../../main/backup/key/backup-key'
import { isCairnError } from '../../../main/shared/errors'
import { keyEntryView } from '../../../renderer/backup/key-entry'

/** What the command line says about a typed key (its parser's message), or null when it accepts it. */
function cliSays(text: string): string | null {
  try {
    parseBackupKey(text)
    return null
  } catch (error) {
    if (!isCairnError(error, 'KEY_MALFORMED')) throw error
    return error.message
  }
}

describe('the key field of the restore wizard', () => {
  const hex = randomBytes(32).toString('hex')

  it('groups the digits in fours as they are typed, whatever spacing the user types', () => {
    expect(keyEntryView('abcd1').display).toBe('abcd 1')
    expect(keyEntryView('ab-cd 12 34\n5').display).toBe('abcd 1234 5')
    const full = keyEntryView(hex.toUpperCase())
    expect(full.display.split(' ')).toHaveLength(16)
    expect(full.ok).toBe(true)
    expect(full.problem).toBeNull()
  })

  it('is quiet about a key that is only unfinished, and says how far it is', () => {
    const half = keyEntryView(hex.slice(0, 37))
    expect(half.problem).toBeNull()
    expect(half.ok).toBe(false)
    expect(half.progress).toBe('37 of 64 digits')
  })

  it('says at once, in the command line’s own words, what is wrong', () => {
    for (const typed of [
      `${hex.slice(0, 10)}g${hex.slice(11)}`,
      `${hex}ab`,
      `${hex.slice(0, 5)}zz`,
    ]) {
      const view = keyEntryView(typed)
      expect(view.problem).toBe(cliSays(typed))
      expect(view.problem).not.toBeNull()
    }
    // Too short is said when the user is done (presses Restore), again as the CLI says it.
    expect(keyEntryView(hex.slice(0, 60), true).problem).toBe(cliSays(hex.slice(0, 60)))
    expect(keyEntryView(hex.slice(0, 60), true).problem).toMatch(/4 are missing/)
  })

  it('takes the age form of the key too', () => {
    const age = formatKeyAge(Buffer.from(hex, 'hex'))
    expect(keyEntryView(age).ok).toBe(true)
    // A damaged age key is flagged as typed (the CLI refuses it too, with its decoder's words).
    for (const damaged of [`${age.slice(0, -3)}!!!`, age.slice(0, -1)]) {
      expect(keyEntryView(damaged).problem).toMatch(/This age secret key is not valid/)
      expect(cliSays(damaged)).toMatch(/This age secret key is not valid/)
    }
  })
})

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  backupKeyFromSecret,
  formatKeyAge,
  formatKeyHex,
  generateBackupKey,
  parseBackupKey,
} from '../../main/backup/key/backup-key'
import { recoverySheet } from '../../main/backup/key/recovery-sheet'
import { isCairnError } from '../../main/shared/errors'

function parseError(text: string): string {
  try {
    parseBackupKey(text)
  } catch (error) {
    expect(isCairnError(error, 'KEY_MALFORMED')).toBe(true)
    return (error as Error).message
  }
  throw new Error('expected the key to be refused')
}

describe('backup key', () => {
  const key = generateBackupKey()
  const hex = formatKeyHex(key.secret)

  it('shows as 64 hex digits in 16 groups of 4', () => {
    expect(hex).toMatch(/^([0-9a-f]{4} ){15}[0-9a-f]{4}$/)
  })

  it('reads back with spaces, dashes, line breaks and either case', () => {
    const variants = [
      hex,
      hex.replace(/ /g, ''),
      hex.replace(/ /g, '-'),
      hex.toUpperCase(),
      hex.replace(/ /g, '\n'),
      `  ${hex}\n`,
    ]
    for (const variant of variants)
      expect(parseBackupKey(variant).fingerprint).toBe(key.fingerprint)
  })

  it("reads back from age's own format", () => {
    const age = formatKeyAge(key.secret)
    expect(age).toMatch(/^AGE-SECRET-KEY-1/)
    expect(parseBackupKey(age).fingerprint).toBe(key.fingerprint)
    expect(parseBackupKey(age.toLowerCase()).fingerprint).toBe(key.fingerprint)
  })

  it('says precisely what is wrong with a malformed key', () => {
    expect(parseError('')).toBe('No key was given.')
    expect(parseError(hex.replace(/ /g, '').slice(0, 63))).toMatch(
      /has 63 hex digits; a backup key has 64\. 1 is missing\./,
    )
    expect(parseError(`${hex}ab`)).toMatch(/has 66 hex digits.*There are 2 too many\./)
    expect(parseError(`g${hex.slice(1)}`)).toMatch(
      /contains "g" \(after 0 digits\), which is not a hex digit/,
    )
    expect(parseError(`${hex.slice(0, 10)}o${hex.slice(11)}`)).toMatch(
      /contains "o" \(after 8 digits\)/,
    )
    expect(parseError('AGE-SECRET-KEY-1QQQQ')).toMatch(/This age secret key is not valid/)
    const age = formatKeyAge(key.secret)
    expect(parseError(`${age.slice(0, -1)}${age.endsWith('Q') ? 'P' : 'Q'}`)).toMatch(
      /checksum mismatch/,
    )
  })

  it('has a fingerprint that tells keys apart and reveals nothing of the secret', () => {
    expect(key.fingerprint).toMatch(/^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}$/)
    expect(generateBackupKey().fingerprint).not.toBe(key.fingerprint)
    expect(hex.replace(/ /g, '')).not.toContain(key.fingerprint.replace(/-/g, ''))
    expect(key.recipient).toMatch(/^age1/)
  })

  it('round-trips any 32 bytes through both formats (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const k = backupKeyFromSecret(bytes)
        expect(parseBackupKey(formatKeyHex(bytes)).fingerprint).toBe(k.fingerprint)
        expect(parseBackupKey(formatKeyAge(bytes)).fingerprint).toBe(k.fingerprint)
      }),
    )
  })

  it('prints a recovery sheet with the key, fingerprint, date and recovery commands', () => {
    const sheet = recoverySheet(key, {
      createdAt: new Date('2026-11-27T10:00:00Z'),
      vaultId: 'abc123',
    })
    for (const text of [sheet.text, sheet.html]) {
      expect(text).toContain(hex.slice(0, 39))
      expect(text).toContain(hex.slice(40))
      expect(text).toContain(key.fingerprint)
      expect(text).toContain('2026-11-27')
      expect(text).toContain('abc123')
      expect(text).toContain(formatKeyAge(key.secret))
      expect(text).toMatch(/age -d -i key\.txt .* \| zstd -d \| tar -x/)
    }
    expect(sheet.html).toMatch(/^<!doctype html>/)
  })
})

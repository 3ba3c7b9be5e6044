import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { openFolder, safeFileName, saveInto } from '../../../main/mail/attachment-files'
import { tempDir } from '../../support/temp'

/** Half of a surrogate pair with no other half: no character, garbage in a file name. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

describe('attachment file names from mail', () => {
  it('makes hostile names safe on every OS', () => {
    expect(safeFileName('../../etc/passwd')).toBe('_.._etc_passwd')
    expect(safeFileName('..\\..\\boot.ini')).toBe('_.._boot.ini')
    expect(safeFileName('CON')).toBe('_CON')
    expect(safeFileName('nul.txt')).toBe('_nul.txt')
    expect(safeFileName('com1.tar.gz')).toBe('_com1.tar.gz')
    expect(safeFileName('a\u0000b\u001fc\u007f.txt')).toBe('abc.txt')
    // A right-to-left override would show "invoice‮fdp.exe" as "invoiceexe.pdf".
    expect(safeFileName('invoice\u202efdp.exe')).toBe('invoicefdp.exe')
    expect(safeFileName('...hidden')).toBe('hidden')
    expect(safeFileName('trailing. . ')).toBe('trailing')
    expect(safeFileName('a:b*c?"d<e>f|g')).toBe('a_b_c__d_e_f_g')
    expect(safeFileName('')).toBe('attachment')
    expect(safeFileName('/')).toBe('_')
    const long = safeFileName(`${'é'.repeat(300)}.pdf`)
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(200)
    expect(long.endsWith('.pdf')).toBe(true)
  })

  it('shortens a long name between characters, never through half an emoji', () => {
    // An extension cut at 16 UTF-16 units ended in the first half of 😀 (two units).
    const emoji = safeFileName(`${'a'.repeat(250)}.${'😀'.repeat(20)}`)
    expect(loneSurrogate.test(emoji)).toBe(false)
    expect(emoji).toBe(`${'a'.repeat(171)}.${'😀'.repeat(7)}`)
    expect(Buffer.byteLength(emoji)).toBeLessThanOrEqual(200)
    const characters = fc.constantFrom('a', 'é', '😀', '𠀀', '.')
    fc.assert(
      fc.property(
        fc.string({ unit: characters, minLength: 40, maxLength: 120 }),
        fc.string({ unit: characters, maxLength: 30 }),
        (stem, extension) => {
          const name = safeFileName(`${stem}${stem}.${extension}`)
          expect(loneSurrogate.test(name)).toBe(false)
          expect(Buffer.byteLength(name)).toBeLessThanOrEqual(200)
        },
      ),
    )
  })

  it('saves inside the chosen folder only, never over a file or through a planted link', () => {
    const dir = tempDir()
    const source = join(tempDir(), 'stored')
    writeFileSync(source, 'attachment bytes')
    const target = join(dir, 'chosen')
    mkdirSync(target)
    writeFileSync(join(target, 'report.pdf'), 'the user’s own file')
    const outside = join(dir, 'outside.txt')
    symlinkSync(outside, join(target, 'report (2).pdf'))

    const written = saveInto(target, '../report.pdf', source)
    expect(written).toBe(join(target, '_report.pdf'))
    const again = saveInto(target, 'report.pdf', source)
    expect(again).toBe(join(target, 'report (3).pdf'))
    expect(readFileSync(join(target, 'report.pdf'), 'utf8')).toBe('the user’s own file')
    expect(readFileSync(again, 'utf8')).toBe('attachment bytes')
    expect(() => lstatSync(outside)).toThrow()
    expect(readdirSync(dir).sort()).toEqual(['chosen'])
  })

  it('opens files from a private folder of their own', () => {
    const cache = tempDir()
    const a = openFolder(cache)
    const b = openFolder(cache)
    expect(a).not.toBe(b)
    expect(lstatSync(a).mode & 0o777).toBe(0o700)
  })
})

import { closeSync, constants, lstatSync, openSync, writeSync } from 'node:fs'
import type { RecoverySheet } from '../backup/key/recovery-sheet.js'
import { CairnError, errnoCode } from '../shared/errors.js'

/**
 * Refuse, before anything else happens, a recovery sheet path that already
 * exists: the sheet holds the key, so it must be a new file only the user
 * can read, never an existing file (which keeps its own, perhaps loose,
 * mode) or a link (which would write the key wherever it points).
 */
export function checkRecoverySheetPath(path: string): void {
  try {
    lstatSync(path)
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return
    throw sheetError(path, error)
  }
  throw exists(path)
}

/**
 * Write the recovery sheet: plain text for a .txt name, else a printable
 * HTML page. Created exclusively, 0600, never through a link.
 */
export function writeRecoverySheet(path: string, sheet: RecoverySheet): void {
  let fd: number
  try {
    fd = openSync(
      path,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    )
  } catch (error) {
    if (errnoCode(error) === 'EEXIST' || errnoCode(error) === 'ELOOP') throw exists(path)
    throw sheetError(path, error)
  }
  try {
    const bytes = Buffer.from(path.toLowerCase().endsWith('.txt') ? sheet.text : sheet.html)
    let offset = 0
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset)
  } finally {
    closeSync(fd)
  }
}

function exists(path: string): CairnError {
  return new CairnError(
    'INVALID_ARGUMENT',
    `${path} already exists. The recovery sheet holds your backup key, so Cairn writes it only to a new file that only you can read: ` +
      'choose a new file name (or remove that file first).',
  )
}

function sheetError(path: string, error: unknown): CairnError {
  return new CairnError(
    'INVALID_ARGUMENT',
    `Cairn cannot write the recovery sheet to ${path} (${errnoCode(error) ?? String(error)}). Choose another file.`,
    { cause: error },
  )
}

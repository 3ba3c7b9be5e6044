import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * The vault's own files (the SQLite database with its -wal and -shm, the
 * development sealing key) are readable by the vault's user only: 0600 in a
 * 0700 folder. Folders the vault creates get 0700; a folder that exists
 * already is left as it is (it may be shared, like /tmp), with a warning
 * when others can enter it.
 */
export function privateFolderFor(file: string): string | null {
  const folder = dirname(file)
  if (!existsSync(folder)) {
    mkdirSync(folder, { recursive: true, mode: 0o700 })
    return null
  }
  const mode = statSync(folder).mode & 0o777
  return mode & 0o077
    ? `the vault's data folder ${folder} is open to other users (mode ${mode.toString(8)}); make it 0700`
    : null
}

/** Create `file` empty with mode 0600 if it is missing; tighten it to 0600 if it exists. */
export function privateFile(file: string): void {
  if (existsSync(file)) {
    if (statSync(file).mode & 0o077) chmodSync(file, 0o600)
    return
  }
  try {
    closeSync(openSync(file, 'wx', 0o600))
  } catch (error) {
    // Another node or process made it first: tighten that one.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    privateFile(file)
  }
}

/** Tighten a file that may or may not exist (SQLite's -wal and -shm). */
export function tightenIfPresent(file: string): void {
  if (existsSync(file) && statSync(file).mode & 0o077) chmodSync(file, 0o600)
}

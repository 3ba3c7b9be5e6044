import { chmodSync, lstatSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/** Folders of a profile are the user's alone; so are its files (mail, attachments, settings). */
export const PROFILE_DIR_MODE = 0o700
export const PROFILE_FILE_MODE = 0o600

/**
 * Make a profile private to its owner: every folder 0700, every file 0600.
 * Cairn creates everything with these modes; this fixes profiles made by
 * earlier versions (0755 folders, 0644 files) or copied in by hand. It runs
 * only when the profile folder itself is open to others, so a profile that
 * is already private costs one stat per open. Links are never followed or
 * changed. Windows has no such modes (its folders inherit the user's ACL).
 */
export function makeProfilePrivate(dir: string): boolean {
  if (process.platform === 'win32') return false
  const top = lstatSync(dir)
  if (!top.isDirectory() || (top.mode & 0o077) === 0) return false
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name)
      if (entry.isDirectory()) {
        tighten(path, PROFILE_DIR_MODE)
        walk(path)
      } else if (entry.isFile()) tighten(path, PROFILE_FILE_MODE)
    }
  }
  walk(dir)
  // The folder itself last: if this is interrupted, the next open does it all again.
  chmodSync(dir, PROFILE_DIR_MODE)
  return true
}

function tighten(path: string, mode: number): void {
  try {
    if ((lstatSync(path).mode & 0o777) !== mode) chmodSync(path, mode)
  } catch {
    // Gone meanwhile (an attachment replaced by an import): nothing to protect.
  }
}

import { lstatSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { isExcludedFromBackup } from '../../profile/layout.js'

export interface ProfileFile {
  /** Path inside the profile, with forward slashes (as in the archive). */
  path: string
  absolutePath: string
  size: number
  mtime: Date
}

/**
 * The regular files of a profile that a backup carries, in a stable order:
 * databases first (so a restore can check them while attachments arrive),
 * then the rest by path. Locks, caches, SQLite's -wal/-shm files and
 * temporary files stay behind; links and special files are never followed.
 */
export function listProfileFiles(profileDir: string): ProfileFile[] {
  const files: ProfileFile[] = []
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = prefix ? `${prefix}/${entry.name}` : entry.name
      if (isExcludedFromBackup(path)) continue
      const absolutePath = join(dir, entry.name)
      if (entry.isDirectory()) walk(absolutePath, path)
      else if (entry.isFile()) {
        const stats = lstatSync(absolutePath)
        files.push({ path, absolutePath, size: stats.size, mtime: stats.mtime })
      }
    }
  }
  walk(profileDir, '')
  const rank = (f: ProfileFile) => (f.path.endsWith('.sqlite') ? 0 : 1)
  return files.sort((a, b) => rank(a) - rank(b) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

import { lstatSync, readdirSync, type Stats } from 'node:fs'
import { join } from 'node:path'
import { isExcludedFromBackup, profileFiles } from '../../profile/layout.js'
import { CairnError } from '../../shared/errors.js'
import { isDatabase, isReservedArchiveName } from '../archive/manifest.js'
import type { FileIdentity } from '../archive/hash-files.js'
import { profileReadError } from './profile-read-error.js'

export interface ProfileFile {
  /** Path inside the profile, with forward slashes (as in the archive). */
  path: string
  absolutePath: string
  size: number
  mtime: Date
  /** The file as listed (lstat): whoever reads it later must find this very file. */
  identity: FileIdentity
}

/**
 * The regular files of a profile that a backup carries, in a stable order:
 * databases first (so a restore can check them while attachments arrive),
 * then the rest by path. Locks, caches, SQLite's -wal/-shm files and
 * temporary files stay behind.
 *
 * Anything else is refused, loudly: a symbolic link (a mailbox or an
 * attachments folder moved elsewhere and linked back would otherwise be left
 * out of every backup without a word, or a link planted in the profile would
 * pull a file from outside it into the backup), a device, a fifo or a
 * socket. So is a profile without its mailbox: a backup without mail.sqlite
 * cannot be restored.
 */
export function listProfileFiles(profileDir: string): ProfileFile[] {
  const files: ProfileFile[] = []
  const walk = (dir: string, prefix: string) => {
    const before = lstatOf(dir, prefix)
    let entries
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch (error) {
      throw profileReadError(prefix || '.', dir, error)
    }
    // The folder read must be the folder that was checked, not a link swapped in meanwhile.
    const after = lstatOf(dir, prefix)
    if (!after.isDirectory() || after.ino !== before.ino || after.dev !== before.dev)
      throw changedDuringListing(prefix)
    for (const entry of entries) {
      const path = prefix ? `${prefix}/${entry.name}` : entry.name
      if (isExcludedFromBackup(path) || (!prefix && isReservedArchiveName(entry.name))) continue
      const absolutePath = join(dir, entry.name)
      const stats = lstatOf(absolutePath, path)
      if (stats.isDirectory()) walk(absolutePath, path)
      else if (stats.isFile()) {
        files.push({
          path,
          absolutePath,
          size: stats.size,
          mtime: stats.mtime,
          identity: { dev: stats.dev, ino: stats.ino, mtimeMs: stats.mtimeMs },
        })
      } else throw notARegularFile(path, absolutePath, stats)
    }
  }
  const top = lstatOf(profileDir, '')
  if (!top.isDirectory()) {
    throw new CairnError(
      'PROFILE_UNAVAILABLE',
      `The profile ${profileDir} is not a folder, so there is nothing to back up. Check the --profile path.`,
    )
  }
  walk(profileDir, '')
  if (!files.some((f) => f.path === profileFiles.database)) {
    throw new CairnError(
      'PROFILE_UNAVAILABLE',
      `The profile ${profileDir} has no mailbox database (${profileFiles.database}), so a backup of it could not be restored. ` +
        'Open the profile in Cairn once (or import mail into it), then back it up.',
    )
  }
  const rank = (f: ProfileFile) => (isDatabase(f.path) ? 0 : 1)
  return files.sort((a, b) => rank(a) - rank(b) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

function lstatOf(path: string, inProfile: string): Stats {
  try {
    return lstatSync(path)
  } catch (error) {
    throw profileReadError(inProfile || '.', path, error)
  }
}

function notARegularFile(path: string, absolutePath: string, stats: Stats): CairnError {
  const what = stats.isSymbolicLink()
    ? 'a symbolic link'
    : stats.isFIFO()
      ? 'a fifo'
      : stats.isSocket()
        ? 'a socket'
        : 'a device'
  const advice = stats.isSymbolicLink()
    ? `Cairn backs up only what is inside the profile folder and never follows links: move the real ${path} into the profile (in place of the link) and back up again.`
    : `Remove it from the profile folder and back up again.`
  return new CairnError(
    'PROFILE_UNAVAILABLE',
    `The profile's ${path} (${absolutePath}) is ${what}, not a regular file or folder, so nothing was backed up. ${advice}`,
  )
}

function changedDuringListing(path: string): CairnError {
  return new CairnError(
    'BACKUP_CHANGED_DURING',
    `The profile folder ${path || '.'} was replaced while it was being listed; the backup was stopped and will be tried again.`,
  )
}

/** `file` as it is now (same file: its size and modification time after a snapshot's checkpoint). */
export function restat(file: ProfileFile): ProfileFile {
  const now = lstatSync(file.absolutePath)
  return {
    ...file,
    size: now.size,
    mtime: now.mtime,
    identity: { ...file.identity, mtimeMs: now.mtimeMs },
  }
}

import { closeSync, lstatSync, mkdirSync, readFileSync, readSync, realpathSync } from 'node:fs'
import { join } from 'node:path'
import { profilePaths } from '../../profile/layout.js'
import { PROFILE_DIR_MODE } from '../../profile/permissions.js'
import { CairnError, errnoCode } from '../../shared/errors.js'
import { openRegularFile } from './open-regular-file.js'
import { profileReadError } from './profile-read-error.js'

/**
 * The file-system side of a backup that concerns the PROFILE (never the
 * destination, which run-backup reaches only through the Destination
 * interface): where the profile really is, whether a file is still the one
 * listed, a private folder for database copies, a database's user_version,
 * a small file read whole.
 */

/** The profile folder itself (a link to it is followed once, here): backups list what is inside. */
export function realProfileDir(dir: string): string {
  try {
    return realpathSync(dir)
  } catch (error) {
    throw new CairnError(
      'PROFILE_UNAVAILABLE',
      errnoCode(error) === 'ENOENT'
        ? `There is no profile at ${dir}, so there is nothing to back up. Check the --profile path.`
        : `Cairn cannot open the profile folder ${dir} (${errnoCode(error) ?? 'error'}). Check its permissions.`,
      { cause: error },
    )
  }
}

/** The profile's private folder for database copies (in its cache, which no backup carries). */
export function snapshotFolder(profileDir: string): string {
  const dir = join(profilePaths(profileDir).cache, 'backup-snapshot')
  mkdirSync(dir, { recursive: true, mode: PROFILE_DIR_MODE })
  return dir
}

/** SQLite opened the path: it must still be the listed file, not a link swapped in. */
export function stillListed(
  path: string,
  absolutePath: string,
  identity: { dev: number; ino: number },
): void {
  let stats
  try {
    stats = lstatSync(absolutePath)
  } catch (error) {
    throw profileReadError(path, absolutePath, error)
  }
  if (!stats.isFile() || stats.dev !== identity.dev || stats.ino !== identity.ino)
    throw replaced(path)
}

export function replaced(path: string): CairnError {
  return new CairnError(
    'BACKUP_CHANGED_DURING',
    `${path} was replaced (by another file or a link) while it was being backed up; the backup was stopped and will be tried again. ` +
      'If nothing should be changing the profile, check its folder for links you did not make.',
  )
}

/** PRAGMA user_version, read from the database header (offset 60, big-endian). */
export function readUserVersion(path: string | undefined, inProfile: string): number {
  if (!path) return 0
  let fd: number
  try {
    ;({ fd } = openRegularFile(path))
  } catch (error) {
    throw profileReadError(inProfile, path, error)
  }
  try {
    const header = Buffer.alloc(4)
    return readSync(fd, header, 0, 4, 60) === 4 ? header.readUInt32BE(0) : 0
  } finally {
    closeSync(fd)
  }
}

/** A small profile file, read whole through one descriptor that must be a regular file, not a link. */
export function readSmallProfileFile(path: string, absolutePath: string): Buffer {
  let fd: number
  try {
    ;({ fd } = openRegularFile(absolutePath))
  } catch (error) {
    if (errnoCode(error) === 'ELOOP') throw replaced(path)
    throw profileReadError(path, absolutePath, error)
  }
  try {
    return readFileSync(fd)
  } finally {
    closeSync(fd)
  }
}

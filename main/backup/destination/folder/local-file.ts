import { constants, createReadStream, openSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { CairnError, errnoCode } from '../../../shared/errors.js'
import type { BackupSource } from '../backup-source.js'
import { parseBackupName } from '../names.js'
import { readSidecarOf } from '../sidecar.js'
import { FolderDestination } from './folder-destination.js'

/**
 * A backup file the user named by its path: any name (a copy renamed by
 * hand, an ASCII-armored file), read as it is; its sidecar is the
 * `<file>.json` beside it, and the other backups in its folder are its
 * siblings. Links are followed once, for the file the user named.
 */
export function localBackupFile(path: string): BackupSource {
  const file = resolve(path)
  const folder = new FolderDestination(dirname(file))
  const stat = async () => {
    let stats
    try {
      stats = statSync(file)
    } catch (error) {
      throw unreadable(path, error)
    }
    if (stats.isDirectory())
      throw new CairnError(
        'INVALID_ARGUMENT',
        `${path} is a folder, not a backup file. Name one of the backup files in it (cairn list --to ${path} shows them).`,
      )
    // A fifo, a device or a socket (or a link to one, such as /dev/zero): never a backup, and
    // reading it could wait or go on forever. Said as what it is, not as a folder.
    if (!stats.isFile())
      throw new CairnError(
        'INVALID_ARGUMENT',
        `${path} is not a backup file (it is a fifo, a device or a socket, not a regular file). Name a backup file; cairn list --to FOLDER shows the backups in a folder.`,
      )
    return { size: stats.size }
  }
  return {
    location: path,
    name: basename(file),
    stat,
    read: async (range) => {
      await stat()
      let fd: number
      try {
        fd = openSync(file, constants.O_RDONLY)
      } catch (error) {
        throw unreadable(path, error)
      }
      return createReadStream(file, {
        fd,
        start: range?.start ?? 0,
        ...(range?.end !== undefined ? { end: range.end } : {}),
        highWaterMark: 1 << 20,
      })
    },
    readSidecar: async () => readSidecarOf(file),
    siblings: async () => {
      try {
        return await folder.list()
      } catch {
        return [] // an unreadable folder tells nothing
      }
    },
    sibling: (other) =>
      parseBackupName(other) ? localBackupFile(join(dirname(file), other)) : null,
    close: () => folder.close(),
  }
}

function unreadable(file: string, error: unknown): CairnError {
  const code = errnoCode(error)
  return new CairnError(
    code === 'ENOENT' ? 'NOT_FOUND' : 'BACKUP_DESTINATION',
    code === 'ENOENT'
      ? `There is no backup file at ${file}. Check the path; cairn list --to FOLDER shows the backups in a folder.`
      : code === 'EISDIR'
        ? `${file} is a folder, not a backup file. Name one of the backup files in it (cairn list --to ${file}).`
        : code === 'EACCES' || code === 'EPERM'
          ? `Cairn is not allowed to read the backup ${file}. Give your user read access to it, then try again.`
          : `Cairn cannot read the backup ${file} (${code ?? 'error'}): check that the drive is connected and that you may read the file.`,
    { cause: error },
  )
}

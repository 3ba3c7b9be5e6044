import { accessSync, constants, realpathSync, statSync } from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { CairnError } from '../../../shared/errors.js'
import { FileStoreDestination } from '../file-store.js'
import { folderError, FolderStore } from './folder-store.js'

/**
 * Backups in a local (or mounted) folder: the partial file carries the
 * writer's process id and host tag, is fsynced, gets its real name with an
 * exclusive hard link, and the folder is fsynced (see FolderStore).
 */
export class FolderDestination extends FileStoreDestination {
  readonly dir: string

  constructor(dir: string) {
    super(new FolderStore(dir))
    this.dir = resolve(dir)
  }

  override locate(name: string): string {
    return join(this.dir, name)
  }

  /**
   * The folder exists, is a folder, may be written, and is neither the
   * profile nor inside it (see checkFolderOutsideProfile).
   */
  override async checkUsable(context: { profileDir: string }): Promise<void> {
    checkFolder(this.dir)
    checkFolderOutsideProfile(this.dir, context.profileDir)
  }
}

/** The folder exists, is a folder and may be written; synchronous, for the settings' checks too. */
export function checkFolder(dir: string): void {
  let stats
  try {
    stats = statSync(dir)
  } catch (error) {
    throw folderError(dir, error)
  }
  if (!stats.isDirectory())
    throw new CairnError('BACKUP_DESTINATION', `The backup destination ${dir} is not a folder.`)
  try {
    accessSync(dir, constants.W_OK)
  } catch (error) {
    throw folderError(dir, error)
  }
}

/**
 * A backup folder is neither the profile nor inside it: each backup would
 * carry all the earlier ones, doubling in size each time, and would be lost
 * with the profile it is meant to save. Symbolic links are resolved on both
 * sides.
 */
export function checkFolderOutsideProfile(dir: string, profileDir: string): void {
  const real = (path: string) => {
    try {
      return realpathSync(path)
    } catch {
      return resolve(path)
    }
  }
  const inside = relative(real(profileDir), real(dir))
  if (inside === '' || (!inside.startsWith('..') && !isAbsolute(inside))) {
    throw new CairnError(
      'BACKUP_DESTINATION',
      `The backup folder ${dir} is inside the profile folder ${profileDir}: each backup would carry all the earlier ones, ` +
        'and they would be lost together with the profile. Choose a folder outside the profile (ideally on another drive).',
    )
  }
}

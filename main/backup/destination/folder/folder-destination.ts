import { FileStoreDestination } from '../file-store.js'
import { FolderStore } from './folder-store.js'

/**
 * Backups in a local (or mounted) folder: the partial file carries the
 * writer's process id and host tag, is fsynced, gets its real name with an
 * exclusive hard link, and the folder is fsynced (see FolderStore).
 */
export class FolderDestination extends FileStoreDestination {
  constructor(dir: string) {
    super(new FolderStore(dir))
  }
}

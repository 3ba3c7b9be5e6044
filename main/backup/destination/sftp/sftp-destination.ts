import { FileStoreDestination } from '../file-store.js'
import { SftpStore, type SftpSettings } from './sftp-store.js'

/** Backups in a folder on an SFTP server (see SftpStore for the guarantees). */
export class SftpDestination extends FileStoreDestination {
  constructor(settings: SftpSettings) {
    super(new SftpStore(settings))
  }
}

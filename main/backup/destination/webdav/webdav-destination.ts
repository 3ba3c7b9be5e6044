import { FileStoreDestination } from '../file-store.js'
import { WebdavStore, type WebdavSettings } from './webdav-store.js'

/** Backups in a WebDAV folder (see WebdavStore for the guarantees). */
export class WebdavDestination extends FileStoreDestination {
  constructor(settings: WebdavSettings) {
    super(new WebdavStore(settings))
  }
}

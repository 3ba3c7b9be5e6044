/**
 * Worker thread entry that prepares synced bodies (see body-prepare.ts):
 * parse, hash, compress. Attachment bytes and the compressed source go
 * back transferred, not copied.
 */
import { serveTasks } from '../../workers/serve.js'
import { prepareBody, preparedTransfer } from './body-prepare.js'

serveTasks(prepareBody, { transfer: preparedTransfer })

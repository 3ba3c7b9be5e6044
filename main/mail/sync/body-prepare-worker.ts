/**
 * Worker thread entry that prepares synced bodies (see body-prepare.ts):
 * parse, save attachments, hash, compress. The compressed source goes back
 * transferred, not copied.
 */
import { workerData } from 'node:worker_threads'
import { joinPostalMimePartsDirectly } from '../import/joined-bytes-blob.js'
import { decodePostalMimeBase64Natively } from '../import/native-base64.js'
import { serveTasks } from '../../workers/serve.js'
import { prepareBody, preparedTransfer, type BodyPrepareWorkerData } from './body-prepare.js'

joinPostalMimePartsDirectly()
await decodePostalMimeBase64Natively()
const { attachmentsDir } = workerData as BodyPrepareWorkerData

serveTasks((raw: Uint8Array) => prepareBody(raw, attachmentsDir), { transfer: preparedTransfer })

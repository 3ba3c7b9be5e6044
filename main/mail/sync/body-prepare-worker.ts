/**
 * Worker thread entry that prepares synced bodies (see body-prepare.ts):
 * parse, save attachments, hash, compress. The compressed source goes back
 * transferred, not copied.
 */
import { workerData } from 'node:worker_threads'
import { joinPostalMimePartsDirectly } from '../import/joined-bytes-blob.js'
import { serveTasks } from '../../workers/serve.js'
import { prepareBody, preparedTransfer, type BodyPrepareWorkerData } from './body-prepare.js'

joinPostalMimePartsDirectly()
const { attachmentsDir } = workerData as BodyPrepareWorkerData

serveTasks((raw: Uint8Array) => prepareBody(raw, attachmentsDir), { transfer: preparedTransfer })

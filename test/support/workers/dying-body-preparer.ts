/**
 * The sync's body-prepare worker, with a way to die that exists only in
 * tests: it exits (as a crashing native module or an out-of-memory parser
 * would end) on a message carrying "X-Kill-Parser: yes".
 */
import { workerData } from 'node:worker_threads'
import {
  prepareBody,
  preparedTransfer,
  type BodyPrepareWorkerData,
} from '../../../main/mail/sync/body-prepare.js'
import { serveTasks } from '../../../main/workers/serve.js'

serveTasks(
  (raw: Uint8Array) => {
    const head = Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.byteLength, 4096))
    if (head.includes('X-Kill-Parser: yes')) process.exit(3)
    return prepareBody(raw, (workerData as BodyPrepareWorkerData).attachmentsDir)
  },
  { transfer: preparedTransfer },
)

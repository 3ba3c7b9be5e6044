/**
 * Worker thread entry that runs an import with its own database connection,
 * so parsing thousands of messages never blocks the process that serves the
 * UI. Messages: in { paths } via workerData, 'cancel' via postMessage; out
 * { type: 'progress' | 'done' | 'error' }.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { openMailDb } from '../db/connection.js'
import { CairnError, describeError, isCairnError } from '../../shared/errors.js'
import { importMail } from './import-mail.js'
import { workerParser } from './parser-pool.js'
import type { ImportWorkerInput, ImportWorkerMessage } from './import-worker-protocol.js'

const input = workerData as ImportWorkerInput
const port = parentPort
if (!port) throw new Error('import-worker must run in a worker thread')

const controller = new AbortController()
port.on('message', (message: unknown) => {
  if (message === 'cancel') controller.abort()
})

const send = (message: ImportWorkerMessage) => port.postMessage(message)

async function run(): Promise<void> {
  const db = openMailDb(input.databaseFile)
  const parser = workerParser()
  let lastProgress = 0
  try {
    const report = await importMail({
      db,
      parser,
      attachmentsDir: input.attachmentsDir,
      paths: input.paths,
      signal: controller.signal,
      onProgress: (progress) => {
        const now = Date.now()
        if (now - lastProgress < 100) return
        lastProgress = now
        send({ type: 'progress', progress })
      },
    })
    send({ type: 'done', report })
  } finally {
    await parser.close()
    db.close()
  }
}

run().catch((error: unknown) => {
  const failure = isCairnError(error) ? error : new CairnError('INTERNAL', describeError(error))
  send({ type: 'error', error: { code: failure.code, message: failure.message } })
})

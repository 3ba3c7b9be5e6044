import { Worker } from 'node:worker_threads'
import { workerFile } from '../../shared/worker-file.js'

/** SQLite's integrity_check of a database file, in a worker thread: resolves to 'ok' or the problems found. */
export function integrityCheck(path: string): Promise<string> {
  return new Promise((resolve) => {
    const worker = new Worker(workerFile('sqlite-check-worker'), { workerData: path })
    worker.once('message', (result: string) => {
      resolve(result)
      void worker.terminate()
    })
    worker.once('error', (error) => resolve(`the check failed to run (${error.message})`))
  })
}

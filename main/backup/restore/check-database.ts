import { runJob } from '../../workers/job.js'
import { workerFile } from '../../workers/worker-file.js'

/** SQLite's integrity_check of a database file, in a worker thread: resolves to 'ok' or the problems found. */
export function integrityCheck(path: string): Promise<string> {
  return runJob<string, never, string>(workerFile('sqlite-check-worker'), path, {
    label: 'the database check',
  }).catch((error: Error) => `the check failed to run (${error.message})`)
}

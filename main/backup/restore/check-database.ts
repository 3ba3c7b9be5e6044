import { runJob } from '../../workers/job.js'
import { workerFile } from '../../workers/worker-file.js'

/**
 * How deeply a database is checked (docs/decisions.md, "Restore checks a
 * database's structure; verify checks everything"):
 * - 'structure': SQLite's `quick_check` of every ordinary table and its
 *   indexes (the full-text indexes' own tables included): every b-tree
 *   page, every record's format, NOT NULL and CHECK constraints;
 * - 'full': `integrity_check`, which also compares each index with its table
 *   and each FTS5 index with its content (seconds per 100 MB of mail).
 */
export type DatabaseCheck = 'structure' | 'full'

export interface CheckJob {
  path: string
  depth: DatabaseCheck
}

/** SQLite's check of a database file, in a worker thread: resolves to 'ok' or the problems found. */
export function integrityCheck(path: string, depth: DatabaseCheck): Promise<string> {
  return runJob<CheckJob, never, string>(
    workerFile('sqlite-check-worker'),
    { path, depth },
    {
      label: 'the database check',
    },
  ).catch((error: Error) => `the check failed to run (${error.message})`)
}

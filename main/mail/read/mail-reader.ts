import type { ProfilePaths } from '../../profile/layout.js'
import { WorkerPool } from '../../workers/pool.js'
import { workerFile } from '../../workers/worker-file.js'
import type { ReadOp, ReadOps, ReadRequest, ReadWorkerData } from './read-ops.js'

/**
 * The mailbox's reads, answered by two read workers (read-worker.ts), each
 * with its own read-only connection: a slow search in one does not hold up
 * a folder listing in the other, and neither holds up the thread serving
 * the UI. A reader that dies is replaced; the read it held fails with
 * WORKER_STOPPED.
 */
export class MailReader {
  private readonly pool: WorkerPool<ReadRequest, unknown>

  constructor(paths: Pick<ProfilePaths, 'database' | 'attachments'>, size = 2) {
    const data: ReadWorkerData = { databaseFile: paths.database }
    this.pool = new WorkerPool(workerFile('read-worker'), {
      label: 'the mailbox reader',
      size,
      workerData: data,
    })
  }

  read<Op extends ReadOp>(op: Op, input: ReadOps[Op]['input']): Promise<ReadOps[Op]['output']> {
    return this.pool.run({ op, input } as ReadRequest) as Promise<ReadOps[Op]['output']>
  }

  /** The threads serving now (tests stop one to see a reader replaced). */
  get threads() {
    return this.pool.threads
  }

  close(): Promise<void> {
    return this.pool.close()
  }
}

import { randomUUID } from 'node:crypto'
import type { ProfilePaths } from '../profile/layout.js'
import { Emitter } from '../shared/emitter.js'
import { CairnError } from '../shared/errors.js'
import { startJob, type JobHandle } from '../workers/job.js'
import { workerFile } from '../workers/worker-file.js'
import type { MailDb } from './db/connection.js'
import type { ImportJobInput, ImportProgress, ImportReport } from './import/import-types.js'
import { MailReader } from './read/mail-reader.js'
import type { ReadOp, ReadOps } from './read/read-ops.js'
import { readAttachment } from './attachment-store.js'
import { holdAttachmentSweep } from './attachment-sweep-hold.js'
import { getAttachmentRows, setSeen } from './store/messages.js'
import type { SearchPage } from './search/search-messages.js'
import type {
  ContactSuggestion,
  FolderView,
  ListCursor,
  MessageDetail,
  MessagePage,
  MessageSource,
  SearchHit,
  SortKey,
  ThreadEntry,
  ThreadPage,
} from './types.js'

export interface MailEvents {
  [name: string]: unknown
  importProgress: ImportProgress & { jobId: string }
  importFinished: {
    jobId: string
    report: ImportReport | null
    error: { code: string; message: string } | null
  }
  changed: { reason: 'import' | 'flags' | 'actions' | 'folders' }
}

export interface MailServiceOptions {
  /** Another parse worker entry for imports (tests: a parser that dies). */
  parseWorkerFile?: string
  /** How long a cancelled import may take to wind down before its thread is stopped. */
  importStopGraceMs?: number
}

/**
 * Everything the UI asks of the mailbox. Reads go to read workers with their
 * own read-only connection (read/mail-reader.ts), so no query stalls the
 * thread that serves the UI; small writes (a flag) run here; imports run in
 * a worker thread with their own connection and parsers.
 */
export class MailService {
  readonly events = new Emitter<MailEvents>()
  private readonly reader: MailReader
  private importJob: {
    id: string
    job: JobHandle<ImportReport, ImportProgress>
    finished: Promise<void>
  } | null = null

  constructor(
    private readonly db: MailDb,
    private readonly paths: ProfilePaths,
    private readonly options: MailServiceOptions = {},
  ) {
    this.reader = new MailReader(paths)
  }

  overview(): Promise<{ messageCount: number }> {
    return this.reader.read('overview', {})
  }

  listFolders(): Promise<FolderView[]> {
    return this.reader.read('folders', {})
  }

  listMessages(
    folderId: number,
    options: { cursor?: ListCursor | undefined; offset?: number | undefined; limit: number },
  ): Promise<MessagePage> {
    return this.reader.read('list', { folderId, ...options })
  }

  search(query: string, limit: number): Promise<SearchHit[]> {
    return this.reader.read('search', { query, limit })
  }

  getMessage(id: number): Promise<MessageDetail> {
    return this.reader.read('message', { id })
  }

  /**
   * Any read of the mailbox database, answered by the read workers: for
   * other services that keep their data in it (chat) and for the search
   * box that finds mail and chats at once.
   */
  read<Op extends ReadOp>(op: Op, input: ReadOps[Op]['input']): Promise<ReadOps[Op]['output']> {
    return this.reader.read(op, input)
  }

  /** A page of search results ("show more" passes the last page's `next` as `before`). */
  searchPage(query: string, limit: number, before?: number): Promise<SearchPage> {
    return this.reader.read('searchPage', { query, limit, before })
  }

  /** How many messages match (the count above the results). */
  searchCount(query: string): Promise<number> {
    return this.reader.read('searchCount', { query })
  }

  /** A page of a folder sorted by sender, subject or size. */
  listSorted(
    folderId: number,
    options: { by: Exclude<SortKey, 'date'>; descending: boolean; offset: number; limit: number },
  ): Promise<MessagePage> {
    return this.reader.read('sorted', { folderId, ...options })
  }

  listThreads(
    folderId: number,
    options: { cursor?: ListCursor | undefined; offset?: number | undefined; limit: number },
  ): Promise<ThreadPage> {
    return this.reader.read('threads', { folderId, ...options })
  }

  thread(threadId: number): Promise<ThreadEntry[]> {
    return this.reader.read('thread', { threadId })
  }

  contacts(prefix: string, limit: number): Promise<ContactSuggestion[]> {
    return this.reader.read('contacts', { prefix, limit })
  }

  /** The raw message ("View source"), up to `maxBytes`. */
  source(id: number, maxBytes: number): Promise<MessageSource> {
    return this.reader.read('source', { id, maxBytes })
  }

  /** The read workers serving now (tests stop one to see it replaced). */
  get readerThreads() {
    return this.reader.threads
  }

  /**
   * The bytes of attachment `attachmentId` of message `messageId`, or null
   * when the message has no such attachment or its file is gone (a broken
   * image, not a failed message). Files larger than `maxBytes` are not read.
   */
  attachmentContent(
    messageId: number,
    attachmentId: number,
    maxBytes: number,
  ): { filename: string; mimeType: string; contentId: string | null; bytes: Buffer } | null {
    const row = getAttachmentRows(this.db, messageId).find((a) => a.id === attachmentId)
    if (!row || row.size > maxBytes) return null
    try {
      const bytes = readAttachment(this.paths.attachments, row.sha256)
      return { filename: row.filename, mimeType: row.mime_type, contentId: row.content_id, bytes }
    } catch {
      return null
    }
  }

  setSeen(id: number, seen: boolean): void {
    if (setSeen(this.db, id, seen)) this.events.emit('changed', { reason: 'flags' })
  }

  /** Start importing in a worker; progress and the result arrive as events. One import at a time. */
  startImport(paths: string[]): { jobId: string } {
    if (this.importJob) {
      throw new CairnError(
        'IMPORT_BUSY',
        'An import is already running. Wait for it to finish or cancel it.',
      )
    }
    const jobId = randomUUID()
    const input: ImportJobInput = {
      databaseFile: this.paths.database,
      attachmentsDir: this.paths.attachments,
      paths,
      parseWorkerFile: this.options.parseWorkerFile,
    }
    // The import's thread stores files and writes their rows in transactions
    // this thread cannot see until they commit: the sweep waits for it to end.
    const releaseSweep = holdAttachmentSweep()
    let job: JobHandle<ImportReport, ImportProgress>
    try {
      job = startJob<ImportJobInput, ImportProgress, ImportReport>(
        workerFile('import-worker'),
        input,
        {
          label: 'the import',
          onProgress: (progress) => this.events.emit('importProgress', { ...progress, jobId }),
          // A cancelled import commits what it has and ends; one that does not
          // (a parser stuck on a hostile message) is stopped, keeping every batch.
          stopAfterCancelMs: this.options.importStopGraceMs ?? 10_000,
          stoppedReason: () =>
            new CairnError(
              'IMPORT_CANCELLED',
              'The import was stopped before it could finish cleanly. The messages imported so far are kept; import again to add the rest.',
            ),
        },
      )
    } catch (error) {
      releaseSweep()
      throw error
    }
    const finished = job.result.then(
      (report) => ({ jobId, report, error: null }),
      (error: CairnError) => ({
        jobId,
        report: null,
        error: { code: error.code, message: error.message },
      }),
    )
    this.importJob = {
      id: jobId,
      job,
      finished: finished.then((payload) => {
        releaseSweep()
        this.importJob = null
        this.events.emit('importFinished', payload)
        this.events.emit('changed', { reason: 'import' })
      }),
    }
    return { jobId }
  }

  cancelImport(jobId: string): void {
    if (this.importJob?.id === jobId) this.importJob.job.cancel()
  }

  /**
   * Stop reading and importing (before the database closes). A running
   * import is cancelled: it commits what it has, or is stopped after a
   * grace period (see startImport). Never hangs.
   */
  async close(): Promise<void> {
    const running = this.importJob
    if (running) {
      running.job.cancel()
      await running.finished
    }
    await this.reader.close()
  }
}

import { randomUUID } from 'node:crypto'
import { Worker } from 'node:worker_threads'
import type { ProfilePaths } from '../profile/layout.js'
import { Emitter } from '../shared/emitter.js'
import { CairnError } from '../shared/errors.js'
import { workerFile } from '../shared/worker-file.js'
import { readAttachment } from './attachment-store.js'
import type { MailDb } from './db/connection.js'
import type { ImportProgress, ImportReport } from './import/import-types.js'
import type { ImportWorkerInput, ImportWorkerMessage } from './import/import-worker-protocol.js'
import { listFolders } from './store/folders.js'
import {
  countMessages,
  getAttachmentRows,
  getMessageRow,
  listMessages,
  setSeen,
  toSummary,
} from './store/messages.js'
import { searchMessages } from './store/search.js'
import type {
  Address,
  FolderView,
  ListCursor,
  MessageDetail,
  MessagePage,
  SearchHit,
} from './types.js'

export interface MailEvents {
  [name: string]: unknown
  importProgress: ImportProgress & { jobId: string }
  importFinished: {
    jobId: string
    report: ImportReport | null
    error: { code: string; message: string } | null
  }
  changed: { reason: 'import' | 'flags' }
}

/**
 * Everything the UI asks of the mailbox. Reads run on the caller's thread
 * (each is one indexed query: milliseconds even at 150k messages); imports
 * run in a worker thread with their own connection.
 */
export class MailService {
  readonly events = new Emitter<MailEvents>()
  private importJob: { id: string; worker: Worker } | null = null

  constructor(
    private readonly db: MailDb,
    private readonly paths: ProfilePaths,
  ) {}

  overview(): { messageCount: number } {
    return { messageCount: countMessages(this.db) }
  }

  listFolders(): FolderView[] {
    return listFolders(this.db)
  }

  listMessages(
    folderId: number,
    options: { cursor?: ListCursor | undefined; offset?: number | undefined; limit: number },
  ): MessagePage {
    return listMessages(this.db, folderId, options)
  }

  search(query: string, limit: number): SearchHit[] {
    return searchMessages(this.db, query, limit)
  }

  getMessage(id: number): MessageDetail {
    const row = getMessageRow(this.db, id)
    if (!row) throw new CairnError('NOT_FOUND', 'This message no longer exists.')
    const attachments = getAttachmentRows(this.db, id)
    return {
      ...toSummary(row),
      messageId: row.message_id,
      to: JSON.parse(row.to_json) as Address[],
      cc: JSON.parse(row.cc_json) as Address[],
      text: row.body_text,
      html: row.body_html,
      attachments: attachments.map((a) => ({
        id: a.id,
        filename: a.filename,
        mimeType: a.mime_type,
        size: a.size,
        contentId: a.content_id,
        disposition: a.disposition,
      })),
    }
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
  ): { mimeType: string; contentId: string | null; bytes: Buffer } | null {
    const row = getAttachmentRows(this.db, messageId).find((a) => a.id === attachmentId)
    if (!row || row.size > maxBytes) return null
    try {
      const bytes = readAttachment(this.paths.attachments, row.sha256)
      return { mimeType: row.mime_type, contentId: row.content_id, bytes }
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
    const input: ImportWorkerInput = {
      databaseFile: this.paths.database,
      attachmentsDir: this.paths.attachments,
      paths,
    }
    const worker = new Worker(workerFile('import-worker'), { workerData: input })
    this.importJob = { id: jobId, worker }
    let finished = false
    const finish = (payload: MailEvents['importFinished']) => {
      if (finished) return
      finished = true
      this.importJob = null
      void worker.terminate()
      this.events.emit('importFinished', payload)
      this.events.emit('changed', { reason: 'import' })
    }
    worker.on('message', (message: ImportWorkerMessage) => {
      if (message.type === 'progress')
        this.events.emit('importProgress', { ...message.progress, jobId })
      else if (message.type === 'done') finish({ jobId, report: message.report, error: null })
      else finish({ jobId, report: null, error: message.error })
    })
    worker.on('error', (error) =>
      finish({
        jobId,
        report: null,
        error: { code: 'INTERNAL', message: `The import stopped: ${error.message}` },
      }),
    )
    worker.on('exit', () =>
      finish({
        jobId,
        report: null,
        error: { code: 'INTERNAL', message: 'The import stopped unexpectedly.' },
      }),
    )
    return { jobId }
  }

  cancelImport(jobId: string): void {
    if (this.importJob?.id === jobId) this.importJob.worker.postMessage('cancel')
  }

  /** Resolves when no import is running (used before closing the database). */
  async close(): Promise<void> {
    const job = this.importJob
    if (job) {
      job.worker.postMessage('cancel')
      await new Promise<void>((resolve) => {
        const off = this.events.on('importFinished', () => {
          off()
          resolve()
        })
      })
    }
  }
}

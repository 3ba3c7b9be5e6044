/**
 * Worker thread entry that runs an import with its own database connection,
 * so parsing thousands of messages never blocks the process that serves the
 * UI. A job (workers/serve.ts): in, ImportJobInput; progress, ImportProgress;
 * out, ImportReport.
 */
import { openMailDb } from '../db/connection.js'
import { serveJob } from '../../workers/serve.js'
import { importMail } from './import-mail.js'
import type { ImportJobInput, ImportProgress, ImportReport } from './import-types.js'
import { workerParser } from './parser-pool.js'

serveJob<ImportJobInput, ImportProgress, ImportReport>(async (input, { signal, progress }) => {
  const db = openMailDb(input.databaseFile)
  const parser = workerParser({ file: input.parseWorkerFile })
  let lastProgress = 0
  try {
    return await importMail({
      db,
      parser,
      attachmentsDir: input.attachmentsDir,
      paths: input.paths,
      signal,
      onProgress: (update) => {
        const now = Date.now()
        if (now - lastProgress < 100) return
        lastProgress = now
        progress(update)
      },
    })
  } finally {
    await parser.close()
    db.close()
  }
})

import { readFileSync, statSync } from 'node:fs'
import { storeAttachment } from '../attachment-store.js'
import type { MailDb } from '../db/connection.js'
import { ensureLocalAccount } from '../store/accounts.js'
import { ensureFolder, removeEmptyFolders } from '../store/folders.js'
import { messageWriter, type NewMessage } from '../store/messages.js'
import { putSource } from '../store/message-sources.js'
import { CairnError, describeError, errnoCode, isCairnError } from '../../shared/errors.js'
import type { ImportProgress, ImportReport, SkippedMessage } from './import-types.js'
import { readMbox } from './mbox-reader.js'
import type { ParsedMessage } from './parse-message.js'
import { inlineParser, type MessageParser } from './parser-pool.js'
import { findImportSources, type ImportSource } from './sources.js'

export interface ImportOptions {
  db: MailDb
  attachmentsDir: string
  paths: readonly string[]
  onProgress?: (progress: ImportProgress) => void
  signal?: AbortSignal
  /** Messages above this size are skipped and reported (default 256 MiB). */
  maxMessageBytes?: number
  /** Where messages are parsed (default: on this thread). */
  parser?: MessageParser
}

/** Messages go into the database this many at a time (one INSERT statement). */
const ROWS_PER_INSERT = 64
/** Messages are committed in batches: one transaction per message would cap an import at a few hundred a second. */
const BATCH_SIZE = 500
/** Messages being parsed ahead of the one being stored, so parsing (elsewhere) and writing overlap. */
const PARSE_AHEAD = 64
/** …but never more than this many bytes of raw mail waiting, whatever the size of the messages. */
const MAX_BYTES_IN_FLIGHT = 64 * 1024 * 1024

/**
 * Import mail from mbox files and folders of .eml files into the profile's
 * Local Folders. Messages that cannot be parsed are skipped and listed in
 * the report; the rest go on. Each batch is committed, so whatever stops an
 * import (cancel, a full disk, a crash) keeps every message before it, and
 * importing the same source again adds only what is missing.
 */
export async function importMail(options: ImportOptions): Promise<ImportReport> {
  const { db, attachmentsDir, signal } = options
  const maxMessageBytes = options.maxMessageBytes ?? 256 * 1024 * 1024
  const { sources, problems } = findImportSources(options.paths)
  const accountId = ensureLocalAccount(db)
  const insertMessage = messageWriter(db)

  const report: ImportReport = {
    imported: 0,
    duplicates: 0,
    skipped: problems.map((p) => ({ source: p.source, position: '', reason: p.reason })),
    folders: [],
    cancelled: false,
    emptyReason: null,
  }
  // Folders this import creates: one that ends up holding nothing is removed again.
  const existingFolders = new Set(
    db
      .prepare<[number], { path: string }>('SELECT path FROM folders WHERE account_id = ?')
      .all(accountId)
      .map((r) => r.path),
  )
  const createdFolders = new Map<string, number>()
  const folderIdOf = db.prepare<[number, string], { id: number }>(
    'SELECT id FROM folders WHERE account_id = ? AND path = ?',
  )
  /** Remember `path` and every parent of it that this import created. */
  const noteCreated = (path: string, id: number) => {
    const segments = path.split('/')
    for (let depth = segments.length; depth > 0; depth--) {
      const prefix = segments.slice(0, depth).join('/')
      if (existingFolders.has(prefix) || createdFolders.has(prefix)) continue
      const prefixId = depth === segments.length ? id : folderIdOf.get(accountId, prefix)?.id
      if (prefixId !== undefined) createdFolders.set(prefix, prefixId)
    }
  }
  let messagesFound = 0
  const progress: ImportProgress = {
    source: '',
    sourcesDone: 0,
    sourcesTotal: sources.length,
    bytesDone: 0,
    bytesTotal: sources.reduce((sum, s) => sum + s.bytes, 0),
    imported: 0,
    duplicates: 0,
    skipped: report.skipped.length,
  }
  const emit = () => {
    progress.imported = report.imported
    progress.duplicates = report.duplicates
    progress.skipped = report.skipped.length
    options.onProgress?.({ ...progress })
  }

  // Messages are inserted as they are parsed, ROWS_PER_INSERT at a time
  // (one multi-row INSERT: FTS5 writes an index segment per statement, see
  // messageWriter), inside a transaction committed every BATCH_SIZE
  // messages: writing interleaves with parsing, and the report counts only
  // what a commit made durable.
  let pending = { messages: 0, imported: 0, duplicates: 0 }
  let rows: NewMessage[] = []
  const insertRows = () => {
    if (rows.length === 0) return
    const ids = insertMessage.many(rows)
    rows = []
    for (const id of ids) {
      if (id === null) pending.duplicates += 1
      else pending.imported += 1
    }
  }
  const commit = () => {
    if (!db.inTransaction) return
    try {
      insertRows()
      db.exec('COMMIT')
    } catch (error) {
      throw storageError(error)
    }
    report.imported += pending.imported
    report.duplicates += pending.duplicates
    pending = { messages: 0, imported: 0, duplicates: 0 }
    emit()
  }
  const write = (message: NewMessage) => {
    try {
      if (!db.inTransaction) db.exec('BEGIN')
      rows.push(message)
      if (rows.length >= ROWS_PER_INSERT) insertRows()
    } catch (error) {
      throw storageError(error)
    }
    pending.messages += 1
    if (pending.messages >= BATCH_SIZE) commit()
  }
  const skip = (entry: SkippedMessage) => {
    report.skipped.push(entry)
  }

  const parser = options.parser ?? inlineParser
  // Parsed in order, stored in order: a window of messages is being parsed while earlier ones are written.
  type InFlight = {
    item: SourceItem & { raw: Buffer }
    folderId: number
    parsed: Promise<ParsedMessage>
  }
  const inFlight: InFlight[] = []
  let bytesInFlight = 0
  const storeNext = async () => {
    const next = inFlight.shift() as InFlight
    bytesInFlight -= next.item.raw.length
    let parsed: ParsedMessage
    try {
      parsed = await parsedOnce(next.parsed, () => parser.parse(next.item.raw))
    } catch (error) {
      if (isCairnError(error, 'WORKER_UNAVAILABLE')) {
        // The parsers keep dying: stop here, keeping every message stored so far.
        commit()
        throw new CairnError(
          'WORKER_UNAVAILABLE',
          `The import stopped: ${lowerFirst(error.message)} The ${report.imported.toLocaleString('en-US')} messages imported so far are kept; import again to add the rest.`,
          { cause: error },
        )
      }
      skip({ source: next.item.source, position: next.item.position, reason: skipReason(error) })
      return
    }
    write(toNewMessage(db, parsed, next.item, next.folderId, attachmentsDir))
  }

  try {
    for (const source of sources) {
      if (signal?.aborted) break
      progress.source = source.kind === 'mbox' ? source.file : source.label
      emit()
      const folderId = ensureFolder(db, accountId, source.folderPath)
      noteCreated(source.folderPath, folderId)
      if (!report.folders.includes(source.folderPath)) report.folders.push(source.folderPath)
      let found = 0
      for await (const item of messagesOf(
        source,
        maxMessageBytes,
        (bytes) => (progress.bytesDone += bytes),
      )) {
        if (signal?.aborted) break
        found += 1
        messagesFound += 1
        if (item.problem !== undefined) {
          skip({ source: item.source, position: item.position, reason: item.problem })
          continue
        }
        if (item.raw === null) {
          skip({
            source: item.source,
            position: item.position,
            reason: `it is larger than ${Math.round(maxMessageBytes / 1048576)} MB (${Math.round(item.size / 1048576)} MB)`,
          })
          continue
        }
        const parsed = parser.parse(item.raw)
        parsed.catch(() => undefined) // handled in storeNext(); avoids an unhandled rejection while queued
        inFlight.push({ item: { ...item, raw: item.raw }, folderId, parsed })
        bytesInFlight += item.raw.length
        while (inFlight.length >= PARSE_AHEAD || bytesInFlight > MAX_BYTES_IN_FLIGHT)
          await storeNext()
      }
      while (inFlight.length > 0) await storeNext()
      commit()
      if (found === 0 && !signal?.aborted)
        skip({
          source: source.kind === 'mbox' ? source.file : source.label,
          position: '',
          reason: 'no messages were found in it',
        })
      progress.sourcesDone += 1
    }
  } catch (error) {
    // A failed write leaves its batch uncommitted: roll it back, keep every earlier batch.
    if (db.inTransaction) db.exec('ROLLBACK')
    throw error
  }
  // A cancel stops reading; what was read and parsed is kept.
  while (inFlight.length > 0) await storeNext()
  commit()
  report.cancelled = signal?.aborted ?? false
  // A folder this import created and left empty is not kept (nor counted as imported into).
  const removed = removeEmptyFolders(db, [...createdFolders.values()])
  report.folders = report.folders.filter((path) => !removed.has(createdFolders.get(path) ?? -1))
  if (report.imported === 0) report.emptyReason = whyNothing(sources.length, messagesFound, report)
  emit()
  return report
}

/** Why an import stored no message, in words for its summary. */
function whyNothing(sources: number, found: number, report: ImportReport): string {
  if (report.cancelled) return 'The import was cancelled before any message was stored.'
  if (sources === 0)
    return 'No mail was found there: Cairn imports mbox files (they start with a "From " line) and .eml files, or folders holding them.'
  if (found === 0) return 'The files hold no messages.'
  if (report.duplicates === found)
    return `All ${found.toLocaleString('en-US')} messages are already in Cairn.`
  if (report.duplicates > 0)
    return `${report.duplicates.toLocaleString('en-US')} messages are already in Cairn and the others could not be read (see the list).`
  return `None of the ${found.toLocaleString('en-US')} messages could be read (see the list).`
}

/**
 * A parse that failed because its parser died (a crash, or this very
 * message crashing it) is tried once more on a fresh parser: an innocent
 * message that shared the dead parser goes through; a message that kills
 * its parser twice is skipped.
 */
async function parsedOnce(
  first: Promise<ParsedMessage>,
  again: () => Promise<ParsedMessage>,
): Promise<ParsedMessage> {
  try {
    return await first
  } catch (error) {
    if (!isCairnError(error, 'WORKER_STOPPED')) throw error
    return await again()
  }
}

function skipReason(error: unknown): string {
  if (isCairnError(error, 'WORKER_STOPPED'))
    return `the message parser stopped twice while reading it (${error.message.replace(/\.$/, '')}); it was not imported`
  return describeError(error)
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1)
}

interface SourceItem {
  source: string
  position: string
  raw: Buffer | null
  size: number
  /** The mbox postmark's time (when the mailbox received it); null for .eml files. */
  fallbackDate: number | null
  /** Why this file could not be read at all (it is skipped with this reason). */
  problem?: string
}

async function* messagesOf(
  source: ImportSource,
  maxMessageBytes: number,
  onBytes: (bytes: number) => void,
): AsyncGenerator<SourceItem> {
  // The files were found before any was read: one may since have gone, or turned out
  // unreadable. That file is skipped with its reason; it does not end the whole import.
  if (source.kind === 'mbox') {
    let read = 0
    try {
      for await (const entry of readMbox(source.file, { maxMessageBytes, onBytes })) {
        read = entry.offset + entry.size
        yield {
          source: source.file,
          position: `message ${entry.index} (byte ${entry.offset})`,
          raw: entry.raw,
          size: entry.size,
          fallbackDate: postmarkDate(entry.postmark),
        }
      }
    } catch (error) {
      if (errnoCode(error) === undefined) throw error
      yield unreadable(source.file, read > 0 ? `after byte ${read}` : '', error)
    }
    return
  }
  for (const file of source.files) {
    let item: SourceItem
    try {
      const stats = statSync(file)
      // A pipe or a device named .eml would be waited on forever (readFileSync blocks).
      if (!stats.isFile()) {
        yield {
          source: file,
          position: '',
          raw: null,
          size: 0,
          fallbackDate: null,
          problem: 'it is not a regular file (a pipe, a device or a socket); it was not read',
        }
        continue
      }
      onBytes(stats.size)
      item = {
        source: file,
        position: '',
        raw: stats.size > maxMessageBytes ? null : readFileSync(file),
        size: stats.size,
        // A file's time is when it was exported, not when the mail was sent: no date is better.
        fallbackDate: null,
      }
    } catch (error) {
      if (errnoCode(error) === undefined) throw error
      item = unreadable(file, '', error)
    }
    yield item
  }
}

function unreadable(source: string, position: string, error: unknown): SourceItem {
  const code = errnoCode(error)
  return {
    source,
    position,
    raw: null,
    size: 0,
    fallbackDate: null,
    problem:
      code === 'ENOENT'
        ? 'it is no longer there (it was moved or deleted during the import)'
        : `it cannot be read (${code ?? 'error'})`,
  }
}

function toNewMessage(
  db: MailDb,
  parsed: ParsedMessage,
  item: SourceItem & { raw: Buffer },
  folderId: number,
  attachmentsDir: string,
): NewMessage {
  const attachments = parsed.attachments.map((a) => {
    let sha256: string
    try {
      sha256 = storeAttachment(attachmentsDir, a.content)
    } catch (error) {
      throw storageError(error)
    }
    return {
      filename: a.filename,
      mimeType: a.mimeType,
      size: a.content.byteLength,
      sha256,
      contentId: a.contentId,
      disposition: a.disposition,
    }
  })
  return {
    folderId,
    messageId: parsed.messageId,
    contentHash: parsed.contentHash,
    inReplyTo: parsed.inReplyTo,
    references: parsed.references,
    subject: parsed.subject,
    from: parsed.from,
    to: parsed.to,
    cc: parsed.cc,
    // 0: the message says nowhere when it was sent (the UI shows no date).
    date: parsed.date ?? item.fallbackDate ?? 0,
    // Archives rarely say whether a message was read; old mail is treated as read.
    seen: parsed.flags.seen ?? true,
    flagged: parsed.flags.flagged,
    snippet: parsed.snippet,
    text: parsed.text,
    html: parsed.html,
    size: parsed.size,
    attachments,
    // The raw message, for "view source" and the reader's fallback for damaged mail.
    sourceSha256: storeSource(db, item.raw),
    parseNote: parsed.problems.length ? parsed.problems.join('; ') : null,
  }
}

function storeSource(db: MailDb, raw: Buffer): string {
  try {
    // Inside the batch's transaction, like the message that refers to it.
    if (!db.inTransaction) db.exec('BEGIN')
    return putSource(db, raw)
  } catch (error) {
    throw storageError(error)
  }
}

/** The date in an mbox "From sender Www Mmm dd hh:mm:ss yyyy" line. */
export function postmarkDate(postmark: string): number | null {
  const match =
    /\s([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{2}:\d{2}(?::\d{2})?)\s+(?:[+-]\d{4}\s+)?(\d{4})/.exec(
      postmark,
    )
  if (!match) return null
  const parsed = Date.parse(`${match[2]} ${match[1]} ${match[4]} ${match[3]} UTC`)
  return Number.isFinite(parsed) ? parsed : null
}

function storageError(error: unknown): CairnError {
  if (isCairnError(error)) return error
  const code = errnoCode(error) ?? (error as { code?: string }).code
  if (code === 'ENOSPC' || code === 'SQLITE_FULL') {
    return new CairnError(
      'DISK_FULL',
      'The disk is full. The messages imported so far are kept; free some space and import again to add the rest.',
      { cause: error },
    )
  }
  return new CairnError('INTERNAL', `Saving imported mail failed: ${describeError(error)}`, {
    cause: error,
  })
}

import { availableParallelism } from 'node:os'
import { CairnError, describeError, errnoCode, isCairnError } from '../../shared/errors.js'
import { WorkerPool } from '../../workers/pool.js'
import { workerFile } from '../../workers/worker-file.js'
import { storeAttachment } from '../attachment-store.js'
import { parseMessage } from '../import/parse-message.js'
import { compressSource, sourceHash } from '../store/message-sources.js'
import type { NewAttachment } from '../store/messages.js'

/** What a body adds to a message row whose headers are stored. */
export interface PreparedContent {
  snippet: string
  text: string
  html: string | null
  /** What was wrong with a damaged structure (empty for a sound message). */
  problems: string[]
  /** Already saved in the profile's attachment store. */
  attachments: NewAttachment[]
}

/** A fetched source made ready to store: parsed (when it can be), hashed and compressed. */
export interface PreparedBody {
  /** Null when the MIME cannot be read; the source is kept all the same. */
  content: PreparedContent | null
  /** Why it cannot be read. */
  error: string | null
  sha256: string
  /** The source, zstd-compressed, as message_sources stores it. */
  compressed: Uint8Array
}

/**
 * The one thing body sync asks of the threads behind it: bytes in, a
 * prepared body out. It rejects only when nothing should be recorded
 * against the message (a full disk, no thread can start): the sync then
 * fails and tries again later.
 */
export type PrepareBody = (raw: Uint8Array) => Promise<PreparedBody>

/**
 * Everything CPU- or file-bound about a fetched body, done together where it
 * runs (a worker thread): the MIME parse, its attachments written to the
 * profile's content-addressed store, and the SHA-256 and zstd bytes of the
 * source. Synced mail is keyed by its server copy, so the import's
 * normalised de-duplication hash is not computed. Unreadable MIME is the
 * message's own fault and is answered, not thrown; a failing disk throws.
 */
export async function prepareBody(raw: Uint8Array, attachmentsDir: string): Promise<PreparedBody> {
  const sha256 = sourceHash(raw)
  const compressed = ownBuffer(compressSource(raw))
  let parsed
  try {
    parsed = await parseMessage(raw, { contentHash: false })
  } catch (error) {
    return { content: null, error: describeError(error), sha256, compressed }
  }
  const attachments = parsed.attachments.map((a) => ({
    filename: a.filename,
    mimeType: a.mimeType,
    size: a.content.byteLength,
    sha256: saveAttachment(attachmentsDir, a.content),
    contentId: a.contentId,
    disposition: a.disposition,
  }))
  return {
    content: {
      snippet: parsed.snippet,
      text: parsed.text,
      html: parsed.html,
      problems: parsed.problems,
      attachments,
    },
    error: null,
    sha256,
    compressed,
  }
}

function saveAttachment(attachmentsDir: string, bytes: Uint8Array): string {
  try {
    return storeAttachment(attachmentsDir, bytes)
  } catch (error) {
    const code = errnoCode(error)
    throw code === 'ENOSPC'
      ? new CairnError(
          'DISK_FULL',
          'The disk is full: synced mail cannot be stored. What was stored is kept; free some space and sync resumes.',
          { cause: error },
        )
      : new CairnError(
          'INTERNAL',
          `An attachment of a synced message cannot be saved (${code ?? describeError(error)}); sync tries again later.`,
          { cause: error },
        )
  }
}

/** The compressed source goes back to the syncing thread moved, not copied. */
export function preparedTransfer(prepared: PreparedBody): ArrayBuffer[] {
  const compressed = prepared.compressed.buffer
  return compressed instanceof ArrayBuffer ? [compressed] : []
}

/** What every body-prepare thread is started with. */
export interface BodyPrepareWorkerData {
  attachmentsDir: string
}

/**
 * Messages queued in a thread at once. Tasks are handed over only as the
 * thread answers, which the syncing thread sees only between two of its own
 * steps; its longest is storing a group of 250 bodies in one transaction
 * (body-sync.ts), 50 ms and more. With 64 queued (≈ 25 ms of parsing) the
 * thread sat idle a fifth of the body pass in a profile of the first full
 * sync; with a group's worth it is under a tenth. The bytes are the same
 * ones the batch holds anyway, here or in the pool's queue.
 */
const QUEUED_PER_THREAD = 256

/** Longer than any honest message takes (a 256 MB one takes seconds): a thread past it is looping. */
const PREPARE_TIMEOUT_MS = 5 * 60_000

/**
 * Prepare bodies in worker threads (body-prepare-worker.ts), so that the
 * syncing thread only reads the socket and writes SQLite. A thread that
 * dies holding a message does not lose it: the message gets one more try on
 * a fresh thread, then it is hashed and compressed here instead and stored
 * with its source and the reason its content is unreadable.
 */
export function bodyPreparer(options: { attachmentsDir: string; size?: number; file?: string }): {
  prepare: PrepareBody
  close(): Promise<void>
} {
  const start = (size: number, perThread: number) =>
    new WorkerPool<Uint8Array, PreparedBody>(options.file ?? workerFile('body-prepare-worker'), {
      label: 'the message parser',
      size,
      perThread,
      taskTimeoutMs: PREPARE_TIMEOUT_MS,
      workerData: { attachmentsDir: options.attachmentsDir } satisfies BodyPrepareWorkerData,
    })
  let pool: WorkerPool<Uint8Array, PreparedBody> | null = null
  let alone: WorkerPool<Uint8Array, PreparedBody> | null = null
  const threads = () =>
    (pool ??= start(
      options.size ?? Math.max(1, Math.min(4, availableParallelism() - 1)),
      QUEUED_PER_THREAD,
    ))
  // A message whose thread died is tried again by itself, so that a second
  // death blames exactly it.
  const quarantine = () => (alone ??= start(1, 1))
  return {
    async prepare(raw) {
      for (let attempt = 0; ; attempt++) {
        // A copy of its own is handed over; `raw` stays here for the fallback.
        const bytes = new Uint8Array(raw.byteLength)
        bytes.set(raw)
        try {
          return await (attempt === 0 ? threads() : quarantine()).run(bytes, [bytes.buffer])
        } catch (error) {
          // A thread that died took every message it held: each gets one
          // more try, alone; the one that kills that thread too is blamed.
          if (attempt === 0 && isCairnError(error, 'WORKER_STOPPED')) continue
          const blamed =
            attempt > 0 &&
            (isCairnError(error, 'WORKER_STOPPED') || isCairnError(error, 'WORKER_UNAVAILABLE'))
          // Anything else is not the message's fault: the sync fails and retries later.
          if (!blamed) throw error
          return {
            content: null,
            error: describeError(error),
            sha256: sourceHash(raw),
            compressed: compressSource(raw),
          }
        }
      }
    },
    close: async () => {
      await Promise.all([pool?.close(), alone?.close()])
      pool = null
      alone = null
    },
  }
}

/** A buffer owning exactly its bytes, so transferring it takes nothing else along. */
function ownBuffer(buffer: Buffer): Uint8Array {
  if (buffer.byteOffset === 0 && buffer.buffer.byteLength === buffer.byteLength) return buffer
  const copy = new Uint8Array(buffer.byteLength)
  copy.set(buffer)
  return copy
}

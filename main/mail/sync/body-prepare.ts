import { availableParallelism } from 'node:os'
import { describeError, isCairnError } from '../../shared/errors.js'
import { WorkerPool } from '../../workers/pool.js'
import { workerFile } from '../../workers/worker-file.js'
import { parseMessage, type ParsedMessage } from '../import/parse-message.js'
import { parsedTransfer } from '../import/parser-pool.js'
import { compressSource, sourceHash } from '../store/message-sources.js'

/** A fetched source made ready to store: parsed (when it can be), hashed and compressed. */
export interface PreparedBody {
  /** Null when the MIME cannot be read; the source is kept all the same. */
  parsed: ParsedMessage | null
  /** Why it cannot be read. */
  error: string | null
  sha256: string
  /** The source, zstd-compressed, as message_sources stores it. */
  compressed: Uint8Array
}

/**
 * The one thing body sync asks of the threads behind it: bytes in, a
 * prepared body out. It never rejects for the message's own fault.
 */
export type PrepareBody = (raw: Uint8Array) => Promise<PreparedBody>

/**
 * Everything CPU-bound about a fetched body, done together where it runs
 * (a worker thread): the MIME parse, the SHA-256 and the zstd bytes of the
 * source. Synced mail is keyed by its server copy, so the import's
 * normalised de-duplication hash is not computed.
 */
export async function prepareBody(raw: Uint8Array): Promise<PreparedBody> {
  const sha256 = sourceHash(raw)
  const compressed = ownBuffer(compressSource(raw))
  try {
    return {
      parsed: await parseMessage(raw, { contentHash: false }),
      error: null,
      sha256,
      compressed,
    }
  } catch (error) {
    return { parsed: null, error: describeError(error), sha256, compressed }
  }
}

/** Attachment bytes and the compressed source go back to the syncing thread moved, not copied. */
export function preparedTransfer(prepared: PreparedBody): ArrayBuffer[] {
  const buffers = prepared.parsed ? parsedTransfer(prepared.parsed) : []
  const compressed = prepared.compressed.buffer
  if (compressed instanceof ArrayBuffer && !buffers.includes(compressed)) buffers.push(compressed)
  return buffers
}

/** Longer than any honest message takes (a 256 MB one takes seconds): a thread past it is looping. */
const PREPARE_TIMEOUT_MS = 5 * 60_000

/**
 * Prepare bodies in worker threads (body-prepare-worker.ts), so that the
 * syncing thread only reads the socket and writes SQLite. A thread that
 * dies holding a message, or a pool that gave up, does not lose the
 * message: after one more try it is hashed and compressed here instead,
 * and stored with its source and the reason its content is unreadable.
 */
export function bodyPreparer(options: { size?: number; file?: string } = {}): {
  prepare: PrepareBody
  close(): Promise<void>
} {
  let pool: WorkerPool<Uint8Array, PreparedBody> | null = null
  const threads = () =>
    (pool ??= new WorkerPool<Uint8Array, PreparedBody>(
      options.file ?? workerFile('body-prepare-worker'),
      {
        label: 'the message parser',
        size: options.size ?? Math.max(1, Math.min(4, availableParallelism() - 1)),
        perThread: 8,
        taskTimeoutMs: PREPARE_TIMEOUT_MS,
      },
    ))
  return {
    async prepare(raw) {
      for (let attempt = 0; ; attempt++) {
        // A copy of its own is handed over; `raw` stays here for the fallback.
        const bytes = new Uint8Array(raw.byteLength)
        bytes.set(raw)
        try {
          return await threads().run(bytes, [bytes.buffer])
        } catch (error) {
          // A thread that died took every message it held: each gets one
          // more try on a fresh thread; the one that kills it again does not.
          if (attempt === 0 && isCairnError(error, 'WORKER_STOPPED')) continue
          return {
            parsed: null,
            error: describeError(error),
            sha256: sourceHash(raw),
            compressed: compressSource(raw),
          }
        }
      }
    },
    close: async () => {
      await pool?.close()
      pool = null
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

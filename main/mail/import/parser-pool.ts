import { availableParallelism } from 'node:os'
import { CairnError, describeError, isCairnError } from '../../shared/errors.js'
import { WorkerPool } from '../../workers/pool.js'
import { workerFile } from '../../workers/worker-file.js'
import { parseMessage, type ParsedMessage } from './parse-message.js'

/** Turns raw messages into parsed ones; implementations differ in where the parsing runs. */
export interface MessageParser {
  /**
   * Rejects with MESSAGE_MALFORMED for a message that cannot be read, and,
   * in worker threads, WORKER_STOPPED when the parser died holding this
   * message (trying again is worth it) or WORKER_UNAVAILABLE when the
   * parsers keep dying (it is not).
   */
  parse(raw: Buffer): Promise<ParsedMessage>
  close(): Promise<void>
}

/** Parse on the calling thread (small imports, tests). */
export const inlineParser: MessageParser = {
  parse: (raw) => parseTask(raw),
  close: async () => undefined,
}

/** One message parsed, any failure reported as the message's own (MESSAGE_MALFORMED). */
export async function parseTask(raw: Uint8Array): Promise<ParsedMessage> {
  try {
    return await parseMessage(raw)
  } catch (error) {
    throw isCairnError(error) ? error : new CairnError('MESSAGE_MALFORMED', describeError(error))
  }
}

/** The attachment buffers of a parsed message: moved back to the importing thread, not copied. */
export function parsedTransfer(parsed: ParsedMessage): ArrayBuffer[] {
  const buffers = parsed.attachments.map((a) => a.content.buffer)
  return buffers.filter(
    (b, i): b is ArrayBuffer => b instanceof ArrayBuffer && buffers.indexOf(b) === i,
  )
}

/** Longer than any honest message takes to parse (a 256 MB one takes seconds): a parser past it is looping. */
const PARSE_TIMEOUT_MS = 5 * 60_000

/**
 * Parse in worker threads (parse-worker.ts), so that MIME parsing (about
 * half of an import's work) runs on other cores while the importing thread
 * writes to SQLite. Each parser holds up to four messages at a time: enough
 * to stay busy while the importing thread writes, few enough that a parser
 * that dies takes little with it (those messages fail with WORKER_STOPPED,
 * and a fresh parser takes its place).
 */
export function workerParser(
  options: { size?: number; file?: string } = {},
): MessageParser & { readonly pool: WorkerPool<Uint8Array, ParsedMessage> } {
  const pool = new WorkerPool<Uint8Array, ParsedMessage>(
    options.file ?? workerFile('parse-worker'),
    {
      label: 'the message parser',
      size: options.size ?? Math.max(1, Math.min(4, availableParallelism() - 1)),
      perThread: 4,
      taskTimeoutMs: PARSE_TIMEOUT_MS,
    },
  )
  return {
    pool,
    parse(raw) {
      // Copy into a buffer of its own and hand it over without a second copy.
      const bytes = new Uint8Array(raw.byteLength)
      bytes.set(raw)
      return pool.run(bytes, [bytes.buffer])
    },
    close: () => pool.close(),
  }
}

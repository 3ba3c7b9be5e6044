import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { CairnError, describeError } from '../../shared/errors.js'
import { workerFile } from '../../shared/worker-file.js'
import { parseMessage, type ParsedMessage } from './parse-message.js'

/** Turns raw messages into parsed ones; implementations differ in where the parsing runs. */
export interface MessageParser {
  parse(raw: Buffer): Promise<ParsedMessage>
  close(): Promise<void>
}

/** Parse on the calling thread (small imports, tests). */
export const inlineParser: MessageParser = {
  parse: (raw) => parseMessage(raw),
  close: async () => undefined,
}

type ParseReply =
  { id: number; parsed: ParsedMessage } | { id: number; error: { code: string; message: string } }

/**
 * Parse in worker threads, so that MIME parsing (about half of an import's
 * work) runs on other cores while the importing thread writes to SQLite.
 * Requests are spread round-robin; replies keep their request's promise.
 */
export function workerParser(
  size = Math.max(1, Math.min(4, availableParallelism() - 1)),
): MessageParser {
  const workers = Array.from({ length: size }, () => new Worker(workerFile('parse-worker')))
  const pending = new Map<
    number,
    { resolve: (m: ParsedMessage) => void; reject: (e: Error) => void }
  >()
  let nextId = 0
  for (const worker of workers) {
    worker.on('message', (reply: ParseReply) => {
      const waiter = pending.get(reply.id)
      pending.delete(reply.id)
      if (!waiter) return
      if ('parsed' in reply) waiter.resolve(reply.parsed)
      else waiter.reject(new CairnError('MESSAGE_MALFORMED', reply.error.message))
    })
    worker.on('error', (error) => {
      for (const waiter of pending.values())
        waiter.reject(
          new CairnError('INTERNAL', `The message parser stopped: ${describeError(error)}`),
        )
      pending.clear()
    })
  }
  return {
    parse(raw) {
      const id = nextId++
      const worker = workers[id % workers.length] as Worker
      // Copy into a buffer of its own and hand it over without a second copy.
      const bytes = new Uint8Array(raw.byteLength)
      bytes.set(raw)
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject })
        worker.postMessage({ id, raw: bytes }, [bytes.buffer])
      })
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()))
    },
  }
}

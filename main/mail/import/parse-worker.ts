/**
 * Worker thread entry that parses raw messages for an import (see
 * parser-pool.ts). Attachment bytes go back transferred, not copied.
 */
import { parentPort } from 'node:worker_threads'
import { describeError, isCairnError } from '../../shared/errors.js'
import { parseMessage } from './parse-message.js'

const port = parentPort
if (!port) throw new Error('parse-worker must run in a worker thread')

port.on('message', ({ id, raw }: { id: number; raw: Uint8Array }) => {
  parseMessage(raw).then(
    (parsed) => {
      const transfer = parsed.attachments
        .map((a) => a.content.buffer)
        .filter((b, i, all): b is ArrayBuffer => b instanceof ArrayBuffer && all.indexOf(b) === i)
      port.postMessage({ id, parsed }, transfer)
    },
    (error: unknown) =>
      port.postMessage({
        id,
        error: {
          code: isCairnError(error) ? error.code : 'MESSAGE_MALFORMED',
          message: describeError(error),
        },
      }),
  )
})

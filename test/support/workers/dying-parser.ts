/**
 * The import's parse worker, with a way to die that exists only in tests:
 * it exits (process.exit, as a crashing native module or an out-of-memory
 * parser would end) on a message carrying "X-Kill-Parser: yes", and on
 * every message once the file named by CAIRN_TEST_KILL_PARSERS exists; and
 * it loops forever on "X-Hang-Parser: yes" (a parser stuck on hostile input).
 */
import { existsSync } from 'node:fs'
import { parsedTransfer, parseTask } from '../../../main/mail/import/parser-pool.js'
import { serveTasks } from '../../../main/workers/serve.js'

const killSwitch = process.env.CAIRN_TEST_KILL_PARSERS

serveTasks(
  (raw: Uint8Array) => {
    const head = Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.byteLength, 4096))
    if (head.includes('X-Kill-Parser: yes') || (killSwitch && existsSync(killSwitch)))
      process.exit(3)
    if (head.includes('X-Hang-Parser: yes')) for (;;);
    return parseTask(raw)
  },
  { transfer: parsedTransfer },
)

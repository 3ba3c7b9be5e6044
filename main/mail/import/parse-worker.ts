/**
 * Worker thread entry that parses raw messages for an import (see
 * parser-pool.ts). Attachment bytes go back transferred, not copied.
 */
import { serveTasks } from '../../workers/serve.js'
import { parsedTransfer, parseTask } from './parser-pool.js'

serveTasks(parseTask, { transfer: parsedTransfer })

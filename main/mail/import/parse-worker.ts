/**
 * Worker thread entry that parses raw messages for an import (see
 * parser-pool.ts). Attachment bytes go back transferred, not copied.
 */
import { serveTasks } from '../../workers/serve.js'
import { joinPostalMimePartsDirectly } from './joined-bytes-blob.js'
import { decodePostalMimeBase64Natively } from './native-base64.js'
import { parsedTransfer, parseTask } from './parser-pool.js'

joinPostalMimePartsDirectly()
await decodePostalMimeBase64Natively()
serveTasks(parseTask, { transfer: parsedTransfer })

/**
 * Worker thread entry that answers the mailbox's reads (read-ops.ts) from
 * its own read-only connection, so that a search over many rows, a huge
 * message or a jump deep into a folder never stalls the thread serving the
 * UI. WAL mode lets it read while the app or an import writes.
 */
import { workerData } from 'node:worker_threads'
import { openMailDb } from '../db/connection.js'
import { serveTasks } from '../../workers/serve.js'
import { answerRead, type ReadRequest, type ReadWorkerData } from './read-ops.js'

const { databaseFile } = workerData as ReadWorkerData

const db = openMailDb(databaseFile, { readonly: true })
serveTasks((request: ReadRequest) => answerRead(db, request))

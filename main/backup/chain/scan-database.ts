import { open } from 'node:fs/promises'
import { WorkerPool } from '../../workers/pool.js'
import { workerFile } from '../../workers/worker-file.js'
import type { BlockHashTask } from './block-hash-worker.js'
import { BLOCK_SIZE } from './chain-format.js'
import { HASH_BYTES, type PageRecordStore } from './page-record.js'

/** A database snapshot as the chain planner sees it: its blocks' keyed hashes and header facts. */
export interface ScannedDatabase {
  path: string
  size: number
  /** SQLite's page size and schema cookie (header offsets 16 and 40): a change means a new full. */
  pageSize: number
  schemaCookie: number
  hashes: Buffer[]
}

/** Blocks per task (64 MiB): each answer is a bounded message (128 KiB of hashes). */
const BLOCKS_PER_TASK = 16_384

/**
 * Hash every 4 KiB block of a database snapshot (a frozen file or a copy:
 * it does not change while read) with the record's key, in a worker thread
 * (block-hash-worker.ts) beside the one taking the file's SHA-256 for the
 * manifest. One thread: a second one for the blocks only slowed the
 * SHA-256 on a two-core machine.
 */
export async function scanDatabase(
  path: string,
  file: string,
  store: PageRecordStore,
): Promise<ScannedDatabase> {
  const handle = await open(file, 'r')
  let size: number
  const header = Buffer.alloc(100)
  try {
    size = (await handle.stat()).size
    await handle.read(header, 0, Math.min(100, size), 0)
  } finally {
    await handle.close()
  }
  const blocks = Math.ceil(size / BLOCK_SIZE)
  const key = store.blockHashKey()
  const tasks: BlockHashTask[] = []
  for (let from = 0; from < blocks; from += BLOCKS_PER_TASK)
    tasks.push({ file, size, key, from, to: Math.min(blocks, from + BLOCKS_PER_TASK) })
  const hashes: Buffer[] = []
  if (tasks.length > 0) {
    const pool = new WorkerPool<BlockHashTask, Uint8Array>(workerFile('block-hash-worker'), {
      label: 'the database block hasher',
      size: 1,
    })
    try {
      for (const answer of await Promise.all(tasks.map((task) => pool.run(task))))
        for (let at = 0; at < answer.byteLength; at += HASH_BYTES)
          hashes.push(Buffer.from(answer.buffer, answer.byteOffset + at, HASH_BYTES))
    } finally {
      await pool.close()
    }
  }
  const rawPageSize = size >= 18 ? header.readUInt16BE(16) : 0
  return {
    path,
    size,
    pageSize: rawPageSize === 1 ? 65536 : rawPageSize,
    schemaCookie: size >= 44 ? header.readUInt32BE(40) : 0,
    hashes,
  }
}

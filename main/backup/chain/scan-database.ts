import { open } from 'node:fs/promises'
import { BLOCK_SIZE } from './chain-format.js'
import type { PageRecordStore } from './page-record.js'

/** A database snapshot as the chain planner sees it: its blocks' keyed hashes and header facts. */
export interface ScannedDatabase {
  path: string
  size: number
  /** SQLite's page size and schema cookie (header offsets 16 and 40): a change means a new full. */
  pageSize: number
  schemaCookie: number
  hashes: Buffer[]
}

/**
 * Hash every 4 KiB block of a database snapshot (a frozen file or a copy:
 * it does not change while read), a megabyte at a time and asynchronously,
 * so the thread stays responsive on a large mailbox.
 */
export async function scanDatabase(
  path: string,
  file: string,
  store: PageRecordStore,
): Promise<ScannedDatabase> {
  const handle = await open(file, 'r')
  try {
    const { size } = await handle.stat()
    const hashes: Buffer[] = []
    const chunk = Buffer.alloc(256 * BLOCK_SIZE)
    let header: Buffer | null = null
    for (let offset = 0; offset < size;) {
      const { bytesRead } = await handle.read(
        chunk,
        0,
        Math.min(chunk.length, size - offset),
        offset,
      )
      if (bytesRead === 0) break
      if (!header) header = Buffer.from(chunk.subarray(0, Math.min(100, bytesRead)))
      for (let at = 0; at < bytesRead; at += BLOCK_SIZE)
        hashes.push(store.blockHash(chunk.subarray(at, Math.min(at + BLOCK_SIZE, bytesRead))))
      offset += bytesRead
    }
    const rawPageSize = header && header.length >= 18 ? header.readUInt16BE(16) : 0
    return {
      path,
      size,
      pageSize: rawPageSize === 1 ? 65536 : rawPageSize,
      schemaCookie: header && header.length >= 44 ? header.readUInt32BE(40) : 0,
      hashes,
    }
  } finally {
    await handle.close()
  }
}

import { createHash } from 'node:crypto'
import { closeSync } from 'node:fs'
import { openRegularFile } from '../snapshot/open-regular-file.js'
import { BLOCK_SIZE } from './chain-format.js'
import { readFully } from './read-fully.js'

/** Blocks read at once when they follow each other (new mail appends runs of pages). */
const RUN_BLOCKS = 64

/**
 * SHA-256 of the given blocks of a file, concatenated in that order (the
 * manifest's `pages[].sha256`). A few thousand blocks of a snapshot in the
 * page cache: read synchronously, consecutive blocks in one read, which
 * took a tenth of the time of one awaited read per block.
 */
export async function hashBlocks(
  file: string,
  size: number,
  blocks: readonly number[],
): Promise<string> {
  const hash = createHash('sha256')
  // A fifo swapped in for the database is refused, not waited on.
  const { fd } = openRegularFile(file)
  try {
    const buffer = Buffer.alloc(RUN_BLOCKS * BLOCK_SIZE)
    for (let i = 0; i < blocks.length;) {
      // A run of consecutive blocks, up to RUN_BLOCKS.
      const first = blocks[i] as number
      let count = 1
      while (count < RUN_BLOCKS && blocks[i + count] === first + count) count++
      const start = first * BLOCK_SIZE
      const length = Math.min(count * BLOCK_SIZE, size - start)
      if (readFully(fd, buffer, length, start) !== length)
        throw new Error(`short read of blocks ${first}–${first + count - 1} of ${file}`)
      hash.update(buffer.subarray(0, length))
      i += count
    }
  } finally {
    closeSync(fd)
  }
  return hash.digest('hex')
}

import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import { BLOCK_SIZE } from './chain-format.js'

/** SHA-256 of the given blocks of a file, concatenated in that order (the manifest's `pages[].sha256`). */
export async function hashBlocks(
  file: string,
  size: number,
  blocks: readonly number[],
): Promise<string> {
  const hash = createHash('sha256')
  const handle = await open(file, 'r')
  try {
    const buffer = Buffer.alloc(BLOCK_SIZE)
    for (const block of blocks) {
      const length = Math.min(BLOCK_SIZE, size - block * BLOCK_SIZE)
      const { bytesRead } = await handle.read(buffer, 0, length, block * BLOCK_SIZE)
      if (bytesRead !== length) throw new Error(`short read of block ${block} of ${file}`)
      hash.update(buffer.subarray(0, length))
    }
  } finally {
    await handle.close()
  }
  return hash.digest('hex')
}

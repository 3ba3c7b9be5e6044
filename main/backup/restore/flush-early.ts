import { open } from 'node:fs/promises'

/**
 * Flushes unpacked files to disk while the rest of the backup is still
 * being unpacked. The swap needs every staged file durable (restore.ts
 * fsyncs the whole tree before it renames anything); left to the end, that
 * fsync waits for hundreds of megabytes the kernel had not written yet,
 * after the unpacking is over. Started as each file is done, the disk
 * writes overlap decryption and decompression, and the final fsync finds
 * little left to do. Best effort: a failure here is found again (and
 * reported) by the final fsync; it never fails the unpacking.
 */
export function earlyFlusher(concurrency = 2): {
  add(path: string): void
  /** Settles once every flush started has (never rejects). */
  settled(): Promise<void>
} {
  const queue: string[] = []
  let running = 0
  let idle: (() => void) | null = null
  const next = () => {
    while (running < concurrency && queue.length > 0) {
      const path = queue.shift() as string
      running += 1
      void flush(path).finally(() => {
        running -= 1
        next()
      })
    }
    if (running === 0 && queue.length === 0) {
      const done = idle
      idle = null
      done?.()
    }
  }
  return {
    add(path) {
      queue.push(path)
      next()
    },
    settled() {
      if (running === 0 && queue.length === 0) return Promise.resolve()
      return new Promise((resolve) => {
        const previous = idle
        idle = () => {
          previous?.()
          resolve()
        }
      })
    },
  }
}

async function flush(path: string): Promise<void> {
  try {
    const handle = await open(path, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {
    // Found again by the fsync before the swap.
  }
}

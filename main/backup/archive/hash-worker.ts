/**
 * Worker thread entry that hashes whole files for a backup's manifest (see
 * hash-files.ts). Reads with a reused 1 MiB buffer; reports each file's
 * identity (device, inode, size, mtime) so the archive pass can tell whether
 * the file it reads later is still the one that was hashed.
 */
import { createHash } from 'node:crypto'
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { parentPort } from 'node:worker_threads'

const port = parentPort
if (!port) throw new Error('hash-worker must run in a worker thread')
const buffer = Buffer.allocUnsafe(1 << 20)

port.on('message', ({ id, path }: { id: number; path: string }) => {
  let fd: number | undefined
  try {
    fd = openSync(path, 'r')
    const stats = fstatSync(fd)
    const hash = createHash('sha256')
    let size = 0
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, null)
      if (read === 0) break
      hash.update(buffer.subarray(0, read))
      size += read
    }
    port.postMessage({
      id,
      result: {
        sha256: hash.digest('hex'),
        size,
        identity: { dev: stats.dev, ino: stats.ino, mtimeMs: stats.mtimeMs },
      },
    })
  } catch (error) {
    port.postMessage({
      id,
      error: { code: (error as { code?: string }).code ?? null, message: (error as Error).message },
    })
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
})

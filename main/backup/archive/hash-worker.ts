/**
 * Worker thread entry that hashes whole files for a backup's manifest (see
 * hash-files.ts). Reads with a reused 1 MiB buffer; reports each file's
 * identity (device, inode, size, mtime) so the archive pass can tell whether
 * the file it reads later is still the one that was hashed.
 */
import { createHash } from 'node:crypto'
import { closeSync, readSync } from 'node:fs'
import { serveTasks } from '../../workers/serve.js'
import { runAsBackgroundThread } from '../../workers/background.js'
import type { HashAnswer, HashTarget } from './hash-files.js'
import { openRegularFile } from '../snapshot/open-regular-file.js'

// Background work: the window's thread goes first on a busy machine.
runAsBackgroundThread()

const buffer = Buffer.allocUnsafe(1 << 20)

serveTasks(({ path, expect }: HashTarget): HashAnswer => {
  let fd: number | undefined
  try {
    // Never through a link (ELOOP), nor a fifo or device swapped in since it was listed
    // (ENOTREGULAR; its open does not wait for a writer)…
    const opened = openRegularFile(path)
    fd = opened.fd
    const { stats } = opened
    // …and only the very file that was listed.
    if (expect && (stats.dev !== expect.dev || stats.ino !== expect.ino))
      throw Object.assign(new Error(`${path} is not the file that was listed`), {
        code: 'ECHANGED',
      })
    const hash = createHash('sha256')
    let size = 0
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, null)
      if (read === 0) break
      hash.update(buffer.subarray(0, read))
      size += read
    }
    return {
      ok: true,
      file: {
        sha256: hash.digest('hex'),
        size,
        identity: { dev: stats.dev, ino: stats.ino, mtimeMs: stats.mtimeMs },
      },
    }
  } catch (error) {
    return {
      ok: false,
      code: (error as { code?: string }).code ?? null,
      message: (error as Error).message,
    }
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
})

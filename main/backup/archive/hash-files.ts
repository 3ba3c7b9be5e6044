import { availableParallelism } from 'node:os'
import { WorkerPool } from '../../workers/pool.js'
import { workerFile } from '../../workers/worker-file.js'

/** Which file was hashed: a later reader checks it still has this file, unchanged. */
export interface FileIdentity {
  dev: number
  ino: number
  mtimeMs: number
}

export interface HashedFile {
  sha256: string
  size: number
  identity: FileIdentity
}

/** A file to hash, and (when known) the file it must be: the one that was listed. */
export interface HashTarget {
  path: string
  expect?: { dev: number; ino: number }
}

/** A hash worker's answer for one file: its hash, or why it could not be read (errno code). */
export type HashAnswer =
  { ok: true; file: HashedFile } | { ok: false; code: string | null; message: string }

/**
 * Hash files in worker threads (hash-worker.ts), a few at a time, so the
 * manifest of a large profile takes the time of its biggest file rather
 * than of all files one after another. Files are opened without following
 * links (O_NOFOLLOW), and a file that is not the one `expect` names
 * (replaced since it was listed) fails with code 'ECHANGED'. Resolves in the
 * order of `paths`; a file that cannot be read resolves to an Error carrying
 * its errno code. A hash worker that dies fails the whole call
 * (WORKER_STOPPED).
 */
export async function hashFiles(
  paths: readonly HashTarget[],
  onFile?: (index: number, file: HashedFile) => void,
): Promise<(HashedFile | (Error & { code?: string }))[]> {
  if (paths.length === 0) return []
  const pool = new WorkerPool<HashTarget, HashAnswer>(workerFile('hash-worker'), {
    label: 'the file hasher',
    size: Math.max(1, Math.min(4, availableParallelism(), paths.length)),
  })
  try {
    return await Promise.all(
      paths.map(async (target, index) => {
        const answer = await pool.run(target)
        if (!answer.ok)
          return Object.assign(new Error(answer.message), { code: answer.code ?? undefined })
        onFile?.(index, answer.file)
        return answer.file
      }),
    )
  } finally {
    await pool.close()
  }
}

import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { workerFile } from '../../shared/worker-file.js'

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

type Reply =
  | { id: number; result: HashedFile }
  | { id: number; error: { code: string | null; message: string } }

/** A file to hash, and (when known) the file it must be: the one that was listed. */
export interface HashTarget {
  path: string
  expect?: { dev: number; ino: number }
}

/**
 * Hash files in worker threads, a few at a time, so the manifest of a large
 * profile takes the time of its biggest file rather than of all files one
 * after another. Files are opened without following links (O_NOFOLLOW), and
 * a file that is not the one `expect` names (replaced since it was listed)
 * fails with code 'ECHANGED'. Resolves in the order of `paths`; a file that
 * cannot be read resolves to an Error carrying its errno code.
 */
export async function hashFiles(
  paths: readonly HashTarget[],
  onFile?: (index: number, file: HashedFile) => void,
): Promise<(HashedFile | (Error & { code?: string }))[]> {
  const threads = Math.max(1, Math.min(4, availableParallelism(), paths.length))
  const workers = Array.from({ length: threads }, () => new Worker(workerFile('hash-worker')))
  const results: (HashedFile | (Error & { code?: string }))[] = new Array(paths.length)
  let next = 0
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const feed = () => {
              if (next >= paths.length) {
                resolve()
                return
              }
              const id = next++
              worker.postMessage({ id, ...paths[id] })
            }
            worker.on('message', (reply: Reply) => {
              if ('result' in reply) {
                results[reply.id] = reply.result
                onFile?.(reply.id, reply.result)
              } else {
                results[reply.id] = Object.assign(new Error(reply.error.message), {
                  code: reply.error.code ?? undefined,
                })
              }
              feed()
            })
            worker.on('error', reject)
            feed()
          }),
      ),
    )
  } finally {
    await Promise.all(workers.map((w) => w.terminate()))
  }
  return results
}

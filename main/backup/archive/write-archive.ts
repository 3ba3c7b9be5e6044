import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import tar from 'tar-stream'
import { CairnError } from '../../shared/errors.js'
import { HashingPassThrough } from './hashing.js'
import { MANIFEST_NAME, type Manifest } from './manifest.js'

export interface ArchiveSource {
  /** Path in the archive (and in the manifest). */
  path: string
  /** Where to read it now (the live file, or a snapshot of it). */
  readFrom: string
  mtime: Date
}

/**
 * The tar stream of a backup: the manifest first, then every file in
 * manifest order as a regular file (ustar, pax for long names), with no
 * owner names. Each file is hashed again as it is read; if it no longer
 * matches the manifest (it changed since it was hashed), the archive fails
 * rather than carry a file its own manifest contradicts.
 */
export function writeArchive(
  manifest: Manifest,
  sources: readonly ArchiveSource[],
  onBytes: (n: number) => void,
): Readable {
  const pack = tar.pack()
  const byPath = new Map(sources.map((s) => [s.path, s]))
  const run = async () => {
    const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 1))
    await entry(
      pack,
      { name: MANIFEST_NAME, size: manifestBytes.length, mtime: new Date(manifest.createdAt) },
      manifestBytes,
    )
    for (const file of manifest.files) {
      const source = byPath.get(file.path)
      if (!source) throw new Error(`No source for ${file.path}`)
      const hasher = new HashingPassThrough(onBytes)
      const sink = pack.entry({
        name: file.path,
        size: file.size,
        mtime: source.mtime,
        mode: 0o600,
        type: 'file',
      })
      // Read exactly the size the manifest recorded: a file that grew or shrank since fails the hash check.
      const content =
        file.size === 0
          ? Readable.from([])
          : createReadStream(source.readFrom, {
              highWaterMark: 1 << 20,
              start: 0,
              end: file.size - 1,
            })
      await pipeline(content, hasher, sink)
      if (hasher.bytes !== file.size || hasher.digest() !== file.sha256) {
        throw new CairnError(
          'BACKUP_CHANGED_DURING',
          `${file.path} changed while it was being backed up; the backup was stopped and will be tried again.`,
        )
      }
    }
    pack.finalize()
  }
  run().catch((error: unknown) => pack.destroy(error as Error))
  return pack as unknown as Readable
}

function entry(
  pack: tar.Pack,
  header: tar.Header | { name: string; size: number; mtime: Date },
  content: Buffer,
): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry({ ...header, mode: 0o600, type: 'file' }, content, (error) =>
      error ? reject(error) : resolve(),
    )
  })
}

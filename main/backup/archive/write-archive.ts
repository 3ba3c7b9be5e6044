import { closeSync, createReadStream, fstatSync, readSync } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import tar from 'tar-stream'
import { CairnError } from '../../shared/errors.js'
import { profileReadError } from '../snapshot/profile-read-error.js'
import { openRegularFile } from '../snapshot/open-regular-file.js'
import type { FileIdentity } from './hash-files.js'
import { MANIFEST_NAME, type Manifest } from './manifest.js'
import { BLOCK_SIZE, pageEntryName, REMOVED_NAME } from '../chain/chain-format.js'

/** What an incremental link carries besides whole files: the removed list and changed blocks. */
export interface IncrementEntries {
  removed: readonly string[]
  /** Per database: the snapshot to read blocks from, its size, and the blocks (as in manifest.chain.pages). */
  pages: readonly { path: string; readFrom: string; size: number; blocks: readonly number[] }[]
}

export type ArchiveSource =
  | {
      /** Path in the archive (and in the manifest). */
      path: string
      /** Where to read it now (the live file, or a snapshot of it). */
      readFrom: string
      mtime: Date
      /** The file that was hashed for the manifest. */
      identity: FileIdentity
    }
  | {
      path: string
      /** An entry that exists only in memory (the account secrets): never read from disk. */
      bytes: Buffer
      mtime: Date
    }

/**
 * The tar stream of a backup: the manifest first, then every file in
 * manifest order as a regular file (ustar, pax for long names), with no
 * owner names. Each file must still be the one that was hashed: same device
 * and inode (not replaced), same size and modification time before and
 * after it is read (not changed in place). Cairn never rewrites a profile
 * file in place (settings are renamed over, attachments are immutable, a
 * database is read from a frozen snapshot), so a mismatch means the profile
 * changed under the backup, which then stops rather than carry a file its
 * own manifest contradicts.
 */
export function writeArchive(
  manifest: Manifest,
  sources: readonly ArchiveSource[],
  onBytes: (n: number) => void,
  increment?: IncrementEntries,
): Readable {
  const pack = tar.pack()
  const byPath = new Map(sources.map((s) => [s.path, s]))
  const run = async () => {
    const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 1))
    await new Promise<void>((resolve, reject) =>
      pack.entry(
        {
          name: MANIFEST_NAME,
          size: manifestBytes.length,
          mtime: new Date(manifest.createdAt),
          mode: 0o600,
          type: 'file',
        },
        manifestBytes,
        (error) => (error ? reject(error) : resolve()),
      ),
    )
    const here = manifest.chain?.index ?? 0
    for (const file of manifest.files) {
      // An incremental link carries only the files it holds whole; the others are in earlier links.
      if (file.link !== undefined && file.link !== here) continue
      const source = byPath.get(file.path)
      if (!source) throw new Error(`No source for ${file.path}`)
      if ('bytes' in source) {
        await new Promise<void>((resolve, reject) =>
          pack.entry(
            { name: file.path, size: source.bytes.length, mtime: source.mtime, mode: 0o600 },
            source.bytes,
            (error) => (error ? reject(error) : resolve()),
          ),
        )
        // Counted like a file's bytes, so the progress reaches its total.
        onBytes(source.bytes.length)
        continue
      }
      // One descriptor for the checks and the read: a file renamed over meanwhile cannot slip
      // in, a link swapped in for it is not followed (ELOOP), and a fifo is refused, not waited on.
      let fd: number
      try {
        ;({ fd } = openRegularFile(source.readFrom))
      } catch (error) {
        throw profileReadError(file.path, source.readFrom, error)
      }
      try {
        const changed = () =>
          new CairnError(
            'BACKUP_CHANGED_DURING',
            `${file.path} changed while it was being backed up; the backup was stopped and will be tried again.`,
          )
        const unchanged = () => {
          const stats = fstatSync(fd)
          return (
            stats.dev === source.identity.dev &&
            stats.ino === source.identity.ino &&
            stats.mtimeMs === source.identity.mtimeMs &&
            stats.size === file.size
          )
        }
        if (!unchanged()) throw changed()
        const sink = pack.entry({
          name: file.path,
          size: file.size,
          mtime: source.mtime,
          mode: 0o600,
          type: 'file',
        })
        const content =
          file.size === 0
            ? Readable.from([])
            : createReadStream('', {
                fd,
                start: 0,
                end: file.size - 1,
                autoClose: false,
                highWaterMark: 1 << 20,
              })
        content.on('data', (chunk: Buffer) => onBytes(chunk.length))
        // tar-stream fails the entry if fewer bytes than its size arrive.
        try {
          await pipeline(content, sink)
        } catch (error) {
          // A failed read of the profile file (a system call); anything else is the stream's own.
          if ((error as { syscall?: string }).syscall === 'read')
            throw profileReadError(file.path, source.readFrom, error)
          throw error
        }
        if (!unchanged()) throw changed()
      } finally {
        closeSync(fd)
      }
    }
    if (increment) await writeIncrement(pack, manifest, increment, onBytes)
    pack.finalize()
  }
  run().catch((error: unknown) => pack.destroy(error as Error))
  return pack as unknown as Readable
}

/**
 * The removed list, then one entry per changed block, in the order the
 * manifest lists them. Blocks are read from the database snapshot (frozen
 * or a copy: it does not change while the backup holds it).
 */
async function writeIncrement(
  pack: tar.Pack,
  manifest: Manifest,
  increment: IncrementEntries,
  onBytes: (n: number) => void,
): Promise<void> {
  const mtime = new Date(manifest.createdAt)
  const put = (name: string, bytes: Buffer) =>
    new Promise<void>((resolve, reject) =>
      pack.entry({ name, size: bytes.length, mtime, mode: 0o600, type: 'file' }, bytes, (error) =>
        error ? reject(error) : resolve(),
      ),
    )
  await put(REMOVED_NAME, Buffer.from(increment.removed.map((p) => `${p}\n`).join('')))
  for (const group of increment.pages) {
    let fd: number
    try {
      ;({ fd } = openRegularFile(group.readFrom))
    } catch (error) {
      throw profileReadError(group.path, group.readFrom, error)
    }
    try {
      for (const block of group.blocks) {
        const length = Math.min(BLOCK_SIZE, group.size - block * BLOCK_SIZE)
        const bytes = Buffer.alloc(length)
        let got = 0
        while (got < length) {
          const n = readSync(fd, bytes, got, length - got, block * BLOCK_SIZE + got)
          if (n === 0) throw profileReadError(group.path, group.readFrom, new Error('short read'))
          got += n
        }
        await put(pageEntryName(group.path, block), bytes)
        onBytes(length)
      }
    } finally {
      closeSync(fd)
    }
  }
}

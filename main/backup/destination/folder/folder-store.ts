import {
  closeSync,
  constants,
  linkSync,
  lstatSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  createReadStream,
} from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { resolve, sep } from 'node:path'
import { Writable, type Readable } from 'node:stream'
import { writeFileAtomicSync, fsyncDirectorySync } from '../../../shared/atomic-file.js'
import { CairnError, errnoCode, isCairnError } from '../../../shared/errors.js'
import type { ByteRange } from '../destination.js'
import { destinationError } from '../destination-errors.js'
import { printable, type FileStore, type StoreEntry, type StoreWriter } from '../file-store.js'

/** Errors of link(2) on filesystems that have no hard links (FAT, some network and FUSE filesystems). */
const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK', 'EXDEV'])

/**
 * A local (or mounted) folder. Data is fsynced before it is named; a name is
 * claimed with an exclusive hard link (link(2) fails on an existing name,
 * rename(2) would replace it), or on filesystems without hard links by
 * creating the name exclusively and renaming over that placeholder; the
 * folder is fsynced after every change of names. Links inside the folder
 * are never followed.
 */
export class FolderStore implements FileStore {
  readonly kind = 'folder' as const
  readonly label: string
  private readonly root: string

  constructor(dir: string) {
    this.root = resolve(dir)
    this.label = this.root
  }

  async list(): Promise<StoreEntry[]> {
    const entries: StoreEntry[] = []
    let names: string[]
    try {
      names = readdirSync(this.root)
    } catch (error) {
      throw this.failure(error)
    }
    for (const name of names) {
      try {
        const stats = lstatSync(this.path(name))
        entries.push({ name, size: stats.size, isFile: stats.isFile(), modifiedAt: stats.mtime })
      } catch {
        // Gone since the listing, or a name this folder store refuses.
      }
    }
    return entries
  }

  async stat(name: string): Promise<StoreEntry | null> {
    try {
      const stats = lstatSync(this.path(name))
      return { name, size: stats.size, isFile: stats.isFile(), modifiedAt: stats.mtime }
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return null
      throw this.failure(error)
    }
  }

  async create(name: string): Promise<StoreWriter | 'taken'> {
    let handle: FileHandle
    try {
      handle = await open(this.path(name), 'wx', 0o600)
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') return 'taken'
      throw this.failure(error)
    }
    let settle!: { resolve: () => void; reject: (error: unknown) => void }
    const durable = new Promise<void>((resolve, reject) => (settle = { resolve, reject }))
    durable.catch(() => undefined)
    const failure = (error: unknown) => this.failure(error)
    const stream = new Writable({
      highWaterMark: 1 << 20,
      write(chunk: Buffer, _encoding, done) {
        writeAll(handle, chunk).then(
          () => done(),
          (error: unknown) => done(failure(error)),
        )
      },
      final(done) {
        handle
          .sync()
          .then(() => handle.close())
          .then(
            () => {
              settle.resolve()
              done()
            },
            (error: unknown) => {
              settle.reject(failure(error))
              done(failure(error))
            },
          )
      },
      destroy(error, done) {
        void handle.close().catch(() => undefined)
        if (error) settle.reject(error)
        done(error)
      },
    })
    return { stream, done: () => durable }
  }

  async claim(from: string, to: string): Promise<'claimed' | 'taken'> {
    const source = this.path(from)
    const target = this.path(to)
    try {
      try {
        linkSync(source, target)
        rmSync(source, { force: true })
        fsyncDirectorySync(this.root)
        return 'claimed'
      } catch (error) {
        const code = errnoCode(error)
        if (code === 'EEXIST') return 'taken'
        if (!LINK_UNSUPPORTED.has(code ?? '')) throw error
      }
      try {
        closeSync(
          openSync(target, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600),
        )
      } catch (error) {
        if (errnoCode(error) === 'EEXIST') return 'taken'
        throw error
      }
      renameSync(source, target)
      fsyncDirectorySync(this.root)
      return 'claimed'
    } catch (error) {
      throw this.failure(error)
    }
  }

  async writeSmall(name: string, data: Buffer): Promise<void> {
    try {
      writeFileAtomicSync(this.path(name), data)
    } catch (error) {
      throw this.failure(error)
    }
  }

  async readSmall(name: string, limit: number): Promise<Buffer | null> {
    let handle: FileHandle
    try {
      // O_NONBLOCK: opening a fifo put in the folder under a sidecar's name would otherwise
      // wait for a writer forever (and hang every list); on a regular file it changes nothing.
      handle = await open(
        this.path(name),
        constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
      )
    } catch (error) {
      const code = errnoCode(error)
      if (code === 'ENOENT' || code === 'ELOOP') return null
      // Another user's file in a shared folder (their sidecar): not readable, so not there.
      if (code === 'EACCES' || code === 'EPERM') return null
      throw this.failure(error)
    }
    try {
      const stats = await handle.stat()
      if (!stats.isFile() || stats.size > limit) return null
      return await handle.readFile()
    } finally {
      await handle.close()
    }
  }

  async read(name: string, range?: ByteRange): Promise<Readable> {
    const path = this.path(name)
    let fd: number
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW)
    } catch (error) {
      const code = errnoCode(error)
      if (code === 'ENOENT' || code === 'ELOOP')
        throw destinationError(
          'DESTINATION_MISSING',
          this.label,
          `there is no backup ${printable(name)}.`,
          error,
        )
      throw this.failure(error)
    }
    return createReadStream(path, {
      fd,
      start: range?.start ?? 0,
      ...(range?.end !== undefined ? { end: range.end } : {}),
      highWaterMark: 1 << 20,
    })
  }

  async remove(name: string): Promise<void> {
    try {
      rmSync(this.path(name), { force: true })
      fsyncDirectorySync(this.root)
    } catch (error) {
      throw this.failure(error)
    }
  }

  async probe(): Promise<Record<string, string>> {
    let stats
    try {
      stats = statSync(this.root)
    } catch (error) {
      throw this.failure(error)
    }
    if (!stats.isDirectory())
      throw destinationError('DESTINATION_INVALID', this.label, 'this is not a folder.')
    return { folder: this.root }
  }

  async close(): Promise<void> {}

  /** The path of `name`, refusing anything that is not a plain name directly in the folder. */
  private path(name: string): string {
    const path = resolve(this.root, name)
    if (
      name === '' ||
      name === '.' ||
      name === '..' ||
      /[/\\\0]/.test(name) ||
      !path.startsWith(this.root + sep)
    ) {
      throw destinationError(
        'DESTINATION_INVALID',
        this.label,
        `refusing the name "${printable(name)}".`,
      )
    }
    return path
  }

  /**
   * A system error as the user can act on it. A folder keeps the codes and
   * wording it had before remote destinations existed (BACKUP_DESTINATION,
   * DISK_FULL; "The backup folder …"), which scripts and the app match.
   */
  failure(error: unknown) {
    if (isCairnError(error)) return error
    return folderError(this.root, error)
  }
}

export function folderError(dir: string, error: unknown): CairnError {
  const code = errnoCode(error)
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new CairnError(
        'DISK_FULL',
        `The backup folder ${dir} is full. The unfinished backup was removed and older backups are untouched; free some space or choose another folder.`,
        { cause: error },
      )
    case 'EROFS':
    case 'EACCES':
    case 'EPERM':
      return new CairnError(
        'BACKUP_DESTINATION',
        `Cairn cannot write to the backup folder ${dir} (it is read-only or you lack permission). Choose another folder or fix its permissions.`,
        { cause: error },
      )
    case 'ENOENT':
    case 'ENOTDIR':
      return new CairnError(
        'BACKUP_DESTINATION',
        `The backup folder ${dir} does not exist. If it is on a removable or network drive, connect it; otherwise choose another folder.`,
        { cause: error },
      )
    default:
      return new CairnError(
        'BACKUP_DESTINATION',
        `Writing to the backup folder ${dir} failed (${code ?? String(error)}).`,
        { cause: error },
      )
  }
}

async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset)
    offset += bytesWritten
  }
}

import {
  closeSync,
  constants,
  createWriteStream,
  ftruncateSync,
  mkdirSync,
  openSync,
  writeSync,
} from 'node:fs'
import { dirname, join } from 'node:path'
import { Writable } from 'node:stream'
import { isDatabase, type Manifest, type ManifestFile } from '../archive/manifest.js'
import { BLOCK_SIZE } from './chain-format.js'

/**
 * A profile assembled from a backup chain NEWEST LINK FIRST, into a staging
 * folder. The last link's manifest (the head) says which link holds each
 * file whole; a database is that copy patched by the blocks of every later
 * link. Read newest first, the first copy of a block to arrive is the one
 * that counts: each later-read (older) copy of it is skipped, and a whole
 * copy fills only the blocks no newer link gave. So a file is final as soon
 * as the link holding it whole has been read — for the databases, that is
 * the full backup's first entries, and their checks run while the rest of
 * it (the attachments) is still unpacking.
 *
 * Only what the head lists is written: a file a later link replaced or
 * removed, and blocks of a copy that a later link replaced whole, are read
 * (their link's hashes still cover them) but never land.
 */
export class ChainAssembly {
  private readonly final = new Map<string, ManifestFile>()
  /** Per file, the blocks already given by a newer link. */
  private readonly written = new Map<string, Set<number>>()
  /** Per file, the SHA-256 its holding link's manifest gives its whole copy (read or written). */
  private readonly holderHashes = new Map<string, string>()
  private readonly fds = new Map<string, number>()
  /** Whether a file is written out (else its whole copy is only checked in passing). */
  private readonly materialize: (file: ManifestFile) => boolean

  constructor(
    private readonly targetDir: string,
    head: Manifest,
    /** Which other files than the databases to write out (the databases always are: SQLite checks files, and links patch them). */
    write: (file: ManifestFile) => boolean,
  ) {
    for (const file of head.files) this.final.set(file.path, file)
    this.materialize = (file) => isDatabase(file.path) || write(file)
  }

  /** The head's entry for `path` (what the file must be once assembled). */
  headFile(path: string): ManifestFile | undefined {
    return this.final.get(path)
  }

  /** Whether the whole copy of `path` in link `index` is the one the head uses. */
  holdsWhole(path: string, index: number): boolean {
    return this.final.get(path)?.link === index
  }

  /** Whether that whole copy is written out (rather than checked in passing). */
  writesWhole(file: ManifestFile, index: number): boolean {
    return this.holdsWhole(file.path, index) && this.materialize(file)
  }

  /** The whole copy of `file` (as its holding link lists it) was read and matched that listing. */
  wholeRead(file: ManifestFile): void {
    this.holderHashes.set(file.path, file.sha256)
  }

  /**
   * Block `block` of `path`, as link `index` carries it. It counts when the
   * file's whole copy is older than this link, no newer link gave the block,
   * and the block is inside the file as the head has it.
   */
  block(path: string, index: number, block: number, bytes: Buffer): void {
    const file = this.final.get(path)
    if (!file || (file.link ?? 0) >= index || block * BLOCK_SIZE >= file.size) return
    let blocks = this.written.get(path)
    if (!blocks) this.written.set(path, (blocks = new Set()))
    if (blocks.has(block)) return
    blocks.add(block)
    const fd = this.fd(path)
    let done = 0
    while (done < bytes.length)
      done += writeSync(fd, bytes, done, bytes.length - done, block * BLOCK_SIZE + done)
  }

  /**
   * Where `file`'s whole copy goes: a new file when no newer link patched it,
   * else the patched file, written everywhere except the blocks already there.
   */
  wholeSink(file: ManifestFile): Writable {
    if (!isDatabase(file.path)) {
      // Never patched (readLink refuses blocks of other files): a new file.
      const full = join(this.targetDir, ...file.path.split('/'))
      mkdirSync(dirname(full), { recursive: true, mode: 0o700 })
      return createWriteStream(full, { flags: 'wx', mode: 0o600 })
    }
    // Links may still be giving blocks of it (they are read at the same time): the live set of
    // blocks they gave is asked chunk by chunk, and each chunk written at once (synchronously),
    // so a block a link writes is never overwritten by this older copy.
    let blocks = this.written.get(file.path)
    if (!blocks) this.written.set(file.path, (blocks = new Set()))
    const skip = blocks
    const fd = this.fd(file.path)
    let position = 0
    return new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        try {
          writeRuns(fd, chunk, position, gapsBetween(position, chunk.length, skip))
          position += chunk.length
          callback()
        } catch (error) {
          callback(error as Error)
        }
      },
    })
  }

  /**
   * Once the link holding `file` whole has been read: the file is final. Cut to
   * the head's size (blocks were written where they belong, whatever came first),
   * and say how its bytes are known: 'hash' when blocks were applied (read it
   * again), the holding link's hash otherwise, null when no link gave it.
   */
  settle(file: ManifestFile): { patched: true } | { patched: false; sha256: string | null } {
    const fd = this.fds.get(file.path)
    if (fd !== undefined) {
      ftruncateSync(fd, file.size)
      closeSync(fd)
      this.fds.delete(file.path)
    }
    if ((this.written.get(file.path)?.size ?? 0) > 0) return { patched: true }
    return { patched: false, sha256: this.holderHashes.get(file.path) ?? null }
  }

  /** Whether `file` is written out (a database always is, and only databases are patched). */
  isOnDisk(file: ManifestFile): boolean {
    return this.materialize(file)
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd)
    this.fds.clear()
  }

  private fd(path: string): number {
    let fd = this.fds.get(path)
    if (fd === undefined) {
      const full = join(this.targetDir, ...path.split('/'))
      mkdirSync(dirname(full), { recursive: true, mode: 0o700 })
      // Created here (never through a link: staging is Cairn's own, and O_NOFOLLOW refuses one).
      fd = openSync(full, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600)
      this.fds.set(path, fd)
    }
    return fd
  }
}

/**
 * The byte ranges [start, end) of a chunk at `position` (of `length` bytes) that
 * lie outside the blocks in `skip`, as file offsets, merged into runs.
 */
export function gapsBetween(
  position: number,
  length: number,
  skip: ReadonlySet<number>,
): [number, number][] {
  const runs: [number, number][] = []
  const end = position + length
  let at = position
  while (at < end) {
    const block = Math.floor(at / BLOCK_SIZE)
    const blockEnd = Math.min(end, (block + 1) * BLOCK_SIZE)
    if (!skip.has(block)) {
      const last = runs[runs.length - 1]
      if (last && last[1] === at) last[1] = blockEnd
      else runs.push([at, blockEnd])
    }
    at = blockEnd
  }
  return runs
}

/** Write the runs of `chunk` (which starts at file offset `position`). */
function writeRuns(
  fd: number,
  chunk: Buffer,
  position: number,
  runs: readonly [number, number][],
): void {
  for (const [start, end] of runs) {
    let done = start
    while (done < end) done += writeSync(fd, chunk, done - position, end - done, done)
  }
}

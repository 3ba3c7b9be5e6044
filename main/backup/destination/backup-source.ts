import { Readable } from 'node:stream'
import { CairnError, isCairnError } from '../../shared/errors.js'
import type { ByteRange, Destination, DestinationBackup } from './destination.js'
import { destinationError, networkError } from './destination-errors.js'
import { printable } from './file-store.js'
import { parseBackupName } from './names.js'
import { isTransient, withRetry } from './retry.js'
import type { Sidecar } from './sidecar.js'

/**
 * One backup to read (verify, restore, choose the key that opens it),
 * wherever it lives: in a destination, or a file the user named. Nothing
 * that reads a backup touches its storage any other way.
 */
export interface BackupSource {
  /** Where it is, for messages and reports: a path or a URL (never a secret). */
  readonly location: string
  /** Its file name: a Cairn backup name, or any name for a file the user named. */
  readonly name: string
  /** Its size; a typed error (NOT_FOUND …) when there is no such backup. */
  stat(): Promise<{ size: number }>
  /** Its bytes (or `range`, inclusive offsets), streamed; a connection lost on the way is resumed. */
  read(range?: ByteRange): Promise<Readable>
  /** Its sidecar as written beside it (it may describe another name), or null. */
  readSidecar(): Promise<Sidecar | null>
  /** The other backups beside it, for "a newer backup of this profile exists"; [] when that cannot be told. */
  siblings(): Promise<DestinationBackup[]>
  /**
   * Another backup beside it, by its Cairn name (an earlier link of its
   * chain); null when there is no such name here. Closing it leaves this one open.
   */
  sibling(name: string): BackupSource | null
  close(): Promise<void>
}

export interface ResumeOptions {
  /** Attempts per interruption (the first read included). */
  attempts?: number
  baseDelayMs?: number
  sleep?: (ms: number) => Promise<void>
}

/** Backup `name` in `destination`. close() closes the destination too. */
export function backupIn(
  destination: Destination,
  name: string,
  options: ResumeOptions = {},
): BackupSource {
  let size: number | null = null
  const stat = async () => {
    if (size !== null) return { size }
    const found = await destination.stat(name)
    if (!found)
      throw new CairnError(
        'NOT_FOUND',
        `Backup destination ${destination.label}: there is no backup ${printable(name)} there. ` +
          `cairn list --to ${destination.label} shows the backups it holds.`,
      )
    size = found.size
    return found
  }
  return {
    location: destination.locate(name),
    name,
    stat,
    read: async (range) => {
      const total = (await stat()).size
      return resumingRead(destination, name, range ?? { start: 0 }, total, options)
    },
    readSidecar: () => destination.readSidecar(name),
    siblings: () => destination.list(),
    sibling: (other) =>
      parseBackupName(other)
        ? { ...backupIn(destination, other, options), close: async () => undefined }
        : null,
    close: () => destination.close(),
  }
}

/**
 * The bytes of `range` of a backup as one stream that survives a lost
 * connection: after a transient failure (a dropped link, a timeout, a
 * server error) it asks again from the first byte it has not passed on,
 * with a growing, jittered wait, a few times, then fails with a typed error
 * naming the destination. Ends with an error when the destination gives
 * fewer bytes than the backup's size (a truncated object), so a short read
 * is never taken for the end.
 */
function resumingRead(
  destination: Destination,
  name: string,
  range: ByteRange,
  size: number,
  options: ResumeOptions,
): Readable {
  const end = Math.min(range.end ?? size - 1, size - 1)
  const label = destination.label
  async function* bytes(): AsyncGenerator<Buffer> {
    let offset = range.start
    while (offset <= end) {
      let moved = false
      try {
        const from = offset
        // The whole backup is asked for without a range: the simplest request
        // for any server, and some (moto) answer a ranged one much more slowly.
        const whole = from === 0 && end === size - 1
        const stream = await withRetry(
          () => (whole ? destination.read(name) : destination.read(name, { start: from, end })),
          {
            attempts: options.attempts ?? 4,
            baseDelayMs: options.baseDelayMs ?? 500,
            ...(options.sleep ? { sleep: options.sleep } : {}),
            retryable: (error) => isTransient(readError(label, error)),
          },
        )
        for await (const chunk of stream) {
          const piece = chunk as Buffer
          if (offset + piece.length > end + 1)
            throw destinationError(
              'BACKUP_CHANGED_DURING',
              label,
              `${printable(name)} holds more than the ${size} bytes it had when the read began: it was replaced meanwhile. Try again.`,
            )
          moved = moved || piece.length > 0
          offset += piece.length
          yield piece
        }
        if (offset <= end)
          throw destinationError(
            'DESTINATION_SERVER',
            label,
            `the server sent ${offset - range.start} bytes of ${printable(name)}, not the ${end + 1 - range.start} it holds.`,
          )
      } catch (error) {
        const failure = readError(label, error)
        // Progress since the last try earns another round of attempts; no progress ends it.
        if (!moved || !isTransient(failure) || offset > end) throw failure
      }
    }
  }
  return Readable.from(bytes(), { objectMode: false, highWaterMark: 1 << 20 })
}

/** A failure while reading a backup, typed and naming the destination. */
function readError(label: string, error: unknown): CairnError {
  if (isCairnError(error)) return error
  return (
    networkError(label, error) ??
    destinationError(
      'DESTINATION_UNREACHABLE',
      label,
      `reading the backup failed (${(error as Error)?.message ?? String(error)}). Check the connection and try again.`,
      error,
    )
  )
}

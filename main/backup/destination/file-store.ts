import type { Readable, Writable } from 'node:stream'
import { isCairnError } from '../../shared/errors.js'
import { processAlive } from '../../shared/process-alive.js'
import { reachedStep } from '../../shared/test-hooks.js'
import type {
  BackupUpload,
  ByteRange,
  CleanupReport,
  CommittedBackup,
  Destination,
  DestinationBackup,
  DestinationKind,
  DestinationTestReport,
  StartBackupOptions,
} from './destination.js'
import { destinationError } from './destination-errors.js'
import {
  backupName,
  compareBackupNames,
  hostTag,
  parseBackupName,
  partialName,
  sidecarName,
} from './names.js'
import type { Sidecar } from './sidecar.js'
import { parseSidecarBytes, sidecarBytes, SIDECAR_MAX_BYTES } from './sidecar-io.js'
import { parseTempName, pendingSidecarOf } from './temp-names.js'
import { uploadStream } from './upload-stream.js'

/** One entry of a destination folder, as its server describes it. */
export interface StoreEntry {
  name: string
  size: number
  isFile: boolean
  modifiedAt: Date | null
}

export interface StoreWriter {
  readonly stream: Writable
  /** Resolves once everything written is durable on the server (closed, synced). */
  done(): Promise<void>
}

/**
 * What a folder-like destination (a local folder, WebDAV, SFTP) must offer;
 * FileStoreDestination builds the Destination contract on top of it, so
 * that naming, exclusivity, crash recovery and what to trust in a listing
 * are written once. Names are plain file names directly in the folder:
 * implementations refuse anything else.
 */
export interface FileStore {
  readonly kind: DestinationKind
  readonly label: string
  /** The folder's entries (files and others), not recursive. */
  list(): Promise<StoreEntry[]>
  stat(name: string): Promise<StoreEntry | null>
  /** Create `name` exclusively ('taken' if it exists) and return a writer for it. */
  create(name: string): Promise<StoreWriter | 'taken'>
  /** Give `from` the name `to` unless `to` exists ('taken'); never replaces. */
  claim(from: string, to: string): Promise<'claimed' | 'taken'>
  /** Replace `name` with `data` atomically (temporary file and rename or equivalent). */
  writeSmall(name: string, data: Buffer): Promise<void>
  /** The bytes of a small file, or null if missing or larger than `limit`. */
  readSmall(name: string, limit: number): Promise<Buffer | null>
  read(name: string, range?: ByteRange): Promise<Readable>
  /** Remove `name`; a missing file is not an error. */
  remove(name: string): Promise<void>
  /** Store-specific checks for test() (the folder exists, it is a collection …). */
  probe(): Promise<Record<string, string>>
  close(): Promise<void>
}

/** A temporary file not touched for this long, written by another machine, is abandoned. */
export const FOREIGN_STALE_MS = 24 * 3600 * 1000

/** Temporary names this process is writing right now, per destination: never cleaned up. */
const active = new Set<string>()
export const activeWrites = {
  add: (label: string, partial: string) => active.add(`${label}\0${partial}`),
  delete: (label: string, partial: string) => active.delete(`${label}\0${partial}`),
  has: (label: string, partial: string) => active.has(`${label}\0${partial}`),
}

export class FileStoreDestination implements Destination {
  readonly kind: DestinationKind
  readonly label: string

  constructor(protected readonly store: FileStore) {
    this.kind = store.kind
    this.label = store.label
  }

  async test(): Promise<DestinationTestReport> {
    const details = await this.store.probe()
    const checks = ['reached the destination']
    await this.store.list()
    checks.push('listed it')
    const probeName = `cairn-test-${process.pid}-${hostTag()}-${Date.now()}.tmp`
    await this.store.writeSmall(probeName, Buffer.from('Cairn checks it may write here.\n'))
    checks.push('wrote a test file')
    try {
      const back = await this.store.readSmall(probeName, 1024)
      if (!back?.toString().startsWith('Cairn checks'))
        throw destinationError(
          'DESTINATION_SERVER',
          this.label,
          'a test file read back differently from how it was written. The server is not storing files faithfully; do not use it for backups.',
        )
      checks.push('read it back')
    } finally {
      await this.store.remove(probeName)
    }
    checks.push('removed it')
    return { label: this.label, checks, details }
  }

  /** Remote kinds find out whether they can write when they connect (cleanup() lists first). */
  async checkUsable(_context: { profileDir: string }): Promise<void> {}

  locate(name: string): string {
    return this.label.endsWith('/') ? `${this.label}${name}` : `${this.label}/${name}`
  }

  async startBackup(createdAt: Date, options: StartBackupOptions = {}): Promise<BackupUpload> {
    let temp: string | null = null
    let writer: StoreWriter | null = null
    for (let sequence = 0; sequence < 1000 && !writer; sequence++) {
      temp = partialName(backupName(createdAt, sequence))
      const created = await this.store.create(temp)
      if (created !== 'taken') writer = created
    }
    if (!writer || !temp) {
      throw destinationError(
        'DESTINATION_CONFLICT',
        this.label,
        'no free temporary name is left for this backup. Remove stale *.partial files there and try again.',
      )
    }
    const tempName = temp
    const key = `${this.label}\0${tempName}`
    active.add(key)
    const upload = uploadStream(writer.stream, options)
    const openWriter = writer
    let finished = false

    const abort = async () => {
      if (finished) return
      finished = true
      upload.stream.destroy()
      await upload.done.catch(() => undefined)
      try {
        await this.store.remove(tempName)
        await this.store.remove(pendingSidecarOf(tempName))
      } catch {
        // Unreachable now: the next cleanup() removes it.
      } finally {
        active.delete(key)
      }
    }

    const commit = async (described: Sidecar): Promise<CommittedBackup> => {
      if (finished) throw new Error('this upload was already committed or aborted')
      try {
        await upload.done
        await openWriter.done()
        const stored = await this.store.stat(tempName)
        if (!stored || stored.size !== upload.bytes() || described.size !== upload.bytes()) {
          throw destinationError(
            'DESTINATION_SERVER',
            this.label,
            `the server holds ${stored?.size ?? 'no'} bytes of the ${upload.bytes()} sent. The backup was not kept; try again, and check the server's disk if it happens again.`,
          )
        }
        await this.store.writeSmall(
          pendingSidecarOf(tempName),
          sidecarBytes({ ...described, file: '' }),
        )
        const taken = new Set((await this.store.list()).map((e) => e.name))
        for (let sequence = 0; sequence < 10_000; sequence++) {
          const name = backupName(createdAt, sequence)
          // An orphaned sidecar describes another file: leave its name alone too.
          if (taken.has(name) || taken.has(sidecarName(name))) continue
          if ((await this.store.claim(tempName, name)) === 'taken') continue
          // Committed. Should the sidecar fail now, the waiting one stays for cleanup() to complete.
          finished = true
          reachedStep('backup-claimed')
          await this.store.writeSmall(sidecarName(name), sidecarBytes({ ...described, file: name }))
          await this.store.remove(pendingSidecarOf(tempName))
          return { name, size: upload.bytes() }
        }
        throw destinationError(
          'DESTINATION_CONFLICT',
          this.label,
          `no free backup name is left for ${createdAt.toISOString()}.`,
        )
      } catch (error) {
        if (!finished) await abort()
        throw error
      } finally {
        active.delete(key)
      }
    }
    return { stream: upload.stream, commit, abort }
  }

  async list(): Promise<DestinationBackup[]> {
    const entries = await this.store.list()
    const names = new Set(entries.map((e) => e.name))
    const backups = entries.filter((e) => e.isFile && parseBackupName(e.name))
    const result = await mapLimited(backups, 4, async (entry) => {
      const sidecar = names.has(sidecarName(entry.name)) ? await this.readSidecar(entry.name) : null
      const described = sidecar && sidecar.file === entry.name ? sidecar : null
      return {
        name: entry.name,
        createdAt: parseBackupName(entry.name) as Date,
        size: entry.size,
        modifiedAt: entry.modifiedAt,
        sidecar: described,
        complete: described !== null && described.size === entry.size,
        sidecarNames: sidecar?.file ?? null,
      }
    })
    return result.sort((a, b) => compareBackupNames(a.name, b.name))
  }

  async readSidecar(name: string): Promise<Sidecar | null> {
    this.requireBackupName(name)
    let bytes: Buffer | null
    try {
      bytes = await this.store.readSmall(sidecarName(name), SIDECAR_MAX_BYTES)
    } catch (error) {
      // One this user may not read (another's, in a shared bucket or folder) is an unreadable
      // sidecar, not a broken destination: null, as the interface says. Anything else (the
      // connection, the credentials, a changed host key) still fails, with its own message.
      if (isCairnError(error, 'DESTINATION_DENIED')) return null
      throw error
    }
    return parseSidecarBytes(bytes)
  }

  async writeSidecar(name: string, sidecar: Sidecar): Promise<void> {
    this.requireBackupName(name)
    await this.store.writeSmall(sidecarName(name), sidecarBytes(sidecar))
  }

  async stat(name: string): Promise<{ size: number } | null> {
    this.requireBackupName(name)
    const entry = await this.store.stat(name)
    return entry?.isFile ? { size: entry.size } : null
  }

  async read(name: string, range?: ByteRange): Promise<Readable> {
    this.requireBackupName(name)
    if (range && (range.start < 0 || (range.end !== undefined && range.end < range.start)))
      throw new RangeError(`invalid byte range ${range.start}-${range.end ?? ''}`)
    return this.store.read(name, range)
  }

  async remove(name: string): Promise<void> {
    this.requireBackupName(name)
    await this.store.remove(name)
    await this.store.remove(sidecarName(name))
  }

  async cleanup(options: { now?: number } = {}): Promise<CleanupReport> {
    const now = options.now ?? Date.now()
    const entries = await this.store.list()
    const byName = new Map(entries.map((e) => [e.name, e]))
    const report: CleanupReport = { removed: [], completed: [] }
    const temps = entries
      .map((e) => ({ entry: e, temp: parseTempName(e.name) }))
      .filter((t): t is { entry: StoreEntry; temp: NonNullable<typeof t.temp> } => t.temp !== null)
      // Waiting sidecars first: completing a backup needs its sidecar still there.
      .sort((a, b) => Number(a.temp.kind === 'partial') - Number(b.temp.kind === 'partial'))
    for (const { entry, temp } of temps) {
      if (!this.stale(temp, entry, now)) continue
      if (temp.kind === 'pending-sidecar') {
        const completed = await this.completeWaiting(entry.name, temp.backup, byName)
        if (completed) report.completed.push(completed)
      }
      await this.store.remove(entry.name)
      report.removed.push(entry.name)
    }
    return report
  }

  close(): Promise<void> {
    return this.store.close()
  }

  /** A temporary file's writer is gone: this machine's process ended, or another's went quiet for a day. */
  private stale(
    temp: { host: string; pid: number; name: string; kind: string },
    entry: StoreEntry,
    now: number,
  ): boolean {
    const partial = temp.kind === 'partial' ? temp.name : temp.name.slice(0, -'.json'.length)
    if (temp.host === hostTag()) {
      if (temp.pid === process.pid) return !active.has(`${this.label}\0${partial}`)
      return !processAlive(temp.pid)
    }
    return entry.modifiedAt !== null && now - entry.modifiedAt.getTime() > FOREIGN_STALE_MS
  }

  /**
   * A writer crashed after its backup got a name but before its sidecar was
   * written: the waiting sidecar describes a backup of the same second with
   * the same size and no sidecar. Give it its sidecar.
   */
  private async completeWaiting(
    pendingName: string,
    intended: string,
    byName: Map<string, StoreEntry>,
  ): Promise<string | null> {
    const pending = parseSidecarBytes(await this.store.readSmall(pendingName, SIDECAR_MAX_BYTES))
    const createdAt = parseBackupName(intended)
    if (!pending || !createdAt) return null
    for (let sequence = 0; sequence < 10_000; sequence++) {
      const name = backupName(createdAt, sequence)
      const entry = byName.get(name)
      if (!entry) {
        if (sequence > 0) break
        continue
      }
      if (byName.has(sidecarName(name)) || !entry.isFile || entry.size !== pending.size) continue
      await this.store.writeSmall(sidecarName(name), sidecarBytes({ ...pending, file: name }))
      byName.set(sidecarName(name), { ...entry, name: sidecarName(name) })
      return name
    }
    return null
  }

  private requireBackupName(name: string): void {
    if (!parseBackupName(name)) {
      throw destinationError(
        'DESTINATION_INVALID',
        this.label,
        `"${printable(name)}" is not the name of a Cairn backup (cairn-backup-<time>.tar.zst.age).`,
      )
    }
  }
}

/** A name from a server, safe to print: control characters shown as escapes, length capped. */
export function printable(name: string): string {
  const safe = JSON.stringify(name).slice(1, -1)
  return safe.length > 200 ? `${safe.slice(0, 200)}…` : safe
}

async function mapLimited<T, R>(
  items: T[],
  limit: number,
  map: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++
        results[index] = await map(items[index] as T)
      }
    }),
  )
  return results
}

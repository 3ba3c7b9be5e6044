import {
  closeSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
} from 'node:fs'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { profilePaths } from '../profile/layout.js'
import { fsyncDirectorySync } from '../shared/atomic-file.js'
import { CairnError, errnoCode, isCairnError } from '../shared/errors.js'
import { APP_VERSION } from '../shared/version.js'
import { AgeEncryptStream } from './age/stream.js'
import { parseRecipient } from './age/x25519.js'
import { hashFile, HashingPassThrough } from './archive/hashing.js'
import { ARCHIVE_FORMAT_VERSION, type Manifest } from './archive/manifest.js'
import { writeArchive, type ArchiveSource } from './archive/write-archive.js'
import { zstdCompressStream } from './archive/zstd.js'
import {
  checkDestination,
  destinationError,
  insideDestination,
  listBackups,
  removeStalePartials,
} from './destination/folder.js'
import { backupName, partialName, sidecarName } from './destination/names.js'
import { backupsToDelete, type RetentionPolicy } from './destination/retention.js'
import { writeSidecar, type Sidecar } from './destination/sidecar.js'
import { listProfileFiles } from './snapshot/profile-files.js'
import { snapshotSqlite, type SqliteSnapshot } from './snapshot/sqlite-snapshot.js'

export interface BackupRequest {
  profileDir: string
  destinationDir: string
  /** The backup key's public recipient (age1…): all a backup needs. */
  recipient: string
  keyFingerprint: string
  profileId: string
  vaultId?: string | null
  retention?: RetentionPolicy | null
  signal?: AbortSignal
  onProgress?: (progress: BackupProgress) => void
  now?: () => Date
}

export interface BackupProgress {
  phase: 'snapshot' | 'writing'
  bytesDone: number
  bytesTotal: number
}

export interface BackupResult {
  name: string
  path: string
  size: number
  sha256: string
  createdAt: string
  files: number
  bytes: number
  snapshot: SqliteSnapshot['method'] | 'none'
  deleted: string[]
}

/**
 * Back up a profile to a destination folder: a consistent snapshot of each
 * database, every other profile file, a manifest with their SHA-256, as one
 * tar → zstd → age stream with bounded memory. The file is written under a
 * partial name, fsynced, renamed and its folder fsynced, and only then
 * described by its sidecar; a crash at any point leaves older backups as
 * they were and at most a partial file, which the next run removes.
 */
export async function runBackup(request: BackupRequest): Promise<BackupResult> {
  const { destinationDir: dest, signal } = request
  const recipient = parseRecipient(request.recipient)
  checkDestination(dest)
  removeStalePartials(dest)

  const snapshotDir = join(profilePaths(request.profileDir).cache, 'backup-snapshot')
  const snapshots: SqliteSnapshot[] = []
  let partialPath: string | null = null
  try {
    // 1. What to back up; databases through a consistent snapshot.
    const files = listProfileFiles(request.profileDir)
    const sources: (ArchiveSource & { size: number })[] = []
    for (const file of files) {
      let readFrom = file.absolutePath
      if (file.path.endsWith('.sqlite')) {
        mkdirSync(snapshotDir, { recursive: true })
        const snapshot = await snapshotSqlite(
          file.absolutePath,
          join(snapshotDir, file.path.replace(/\//g, '_')),
        )
        snapshots.push(snapshot)
        readFrom = snapshot.path
      }
      sources.push({ path: file.path, readFrom, mtime: file.mtime, size: 0 })
    }
    checkAborted(signal)

    // 2. Hash everything for the manifest (it comes first in the archive).
    let bytesTotal = 0
    const hashed: Manifest['files'] = []
    const kept: typeof sources = []
    const progress = (phase: BackupProgress['phase'], bytesDone: number) =>
      request.onProgress?.({ phase, bytesDone, bytesTotal })
    for (const source of sources) {
      let size = 0
      let sha256: string
      try {
        sha256 = await hashFile(source.readFrom, (n) => (size += n))
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') continue // deleted since it was listed (an attachment that went away)
        throw error
      }
      source.size = size
      bytesTotal += size
      hashed.push({ path: source.path, size, sha256 })
      kept.push(source)
      checkAborted(signal)
    }
    const createdAt = (request.now ?? (() => new Date()))()
    const manifest: Manifest = {
      format: 'cairn-backup',
      formatVersion: ARCHIVE_FORMAT_VERSION,
      appVersion: APP_VERSION,
      schemaVersion: readUserVersion(kept.find((s) => s.path === 'mail.sqlite')?.readFrom),
      profileId: request.profileId,
      createdAt: createdAt.toISOString(),
      files: hashed,
    }
    progress('snapshot', 0)

    // 3. tar → zstd → age → partial file, hashed on the way for the sidecar.
    let name = backupName(createdAt)
    for (let sequence = 1; existsSync(join(dest, name)); sequence++)
      name = backupName(createdAt, sequence)
    partialPath = insideDestination(dest, partialName(name))
    let done = 0
    const output = new HashingPassThrough()
    const archive = writeArchive(manifest, kept, (n) => {
      done += n
      progress('writing', done)
    })
    await pipeline(
      archive,
      zstdCompressStream(),
      new AgeEncryptStream([recipient]),
      output,
      // flush: fsync before close, so the rename below never exposes unwritten data.
      createWriteStream(partialPath, {
        flags: 'wx',
        mode: 0o600,
        flush: true,
        highWaterMark: 1 << 20,
      }),
      ...(signal ? [{ signal }] : []),
    )

    // 4. Make it durable under its real name, then describe it.
    const finalPath = insideDestination(dest, name)
    renameSync(partialPath, finalPath)
    partialPath = null
    fsyncDirectorySync(dest)
    const sidecar: Sidecar = {
      format: 'cairn-backup-sidecar',
      formatVersion: 1,
      file: name,
      createdAt: manifest.createdAt,
      appVersion: APP_VERSION,
      schemaVersion: manifest.schemaVersion,
      profileId: request.profileId,
      size: output.bytes,
      sha256: output.digest(),
      keyFingerprint: request.keyFingerprint,
      recipient: request.recipient,
      vaultId: request.vaultId ?? null,
    }
    writeSidecar(insideDestination(dest, sidecarName(name)), sidecar)

    // 5. Retention, now that the new backup is complete.
    const deleted: string[] = []
    if (request.retention) {
      for (const entry of backupsToDelete(
        listBackups(dest),
        request.profileId,
        request.retention,
      )) {
        if (entry.name === name) continue
        rmSync(insideDestination(dest, entry.name), { force: true })
        rmSync(insideDestination(dest, sidecarName(entry.name)), { force: true })
        deleted.push(entry.name)
      }
      if (deleted.length > 0) fsyncDirectorySync(dest)
    }
    return {
      name,
      path: finalPath,
      size: sidecar.size,
      sha256: sidecar.sha256,
      createdAt: manifest.createdAt,
      files: hashed.length,
      bytes: bytesTotal,
      snapshot: snapshots[0]?.method ?? 'none',
      deleted,
    }
  } catch (error) {
    throw describeFailure(error, dest, signal)
  } finally {
    if (partialPath) rmSync(partialPath, { force: true })
    for (const snapshot of snapshots) snapshot.release()
  }
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CairnError('BACKUP_CANCELLED', 'The backup was cancelled.')
}

function describeFailure(error: unknown, dest: string, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return new CairnError('BACKUP_CANCELLED', 'The backup was cancelled.')
  if (isCairnError(error)) return error
  const code = errnoCode(error)
  if (
    code === 'ENOSPC' ||
    code === 'EDQUOT' ||
    code === 'EROFS' ||
    code === 'EACCES' ||
    code === 'EPERM'
  ) {
    return destinationError(dest, error)
  }
  if (code === 'ENOENT' && !existsSync(dest)) return destinationError(dest, error)
  return error
}

/** PRAGMA user_version, read from the database header (offset 60, big-endian). */
function readUserVersion(path: string | undefined): number {
  if (!path) return 0
  const fd = openSync(path, 'r')
  try {
    const header = Buffer.alloc(4)
    return readSync(fd, header, 0, 4, 60) === 4 ? header.readUInt32BE(0) : 0
  } finally {
    closeSync(fd)
  }
}

import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { profileFiles, profilePaths } from '../profile/layout.js'
import { fsyncDirectorySync } from '../shared/atomic-file.js'
import { CairnError, errnoCode, isCairnError } from '../shared/errors.js'
import { APP_VERSION } from '../shared/version.js'
import { parseRecipient } from './age/x25519.js'
import { hashFiles } from './archive/hash-files.js'
import { ARCHIVE_FORMAT_VERSION, type Manifest } from './archive/manifest.js'
import { writeArchive, type ArchiveSource } from './archive/write-archive.js'
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
import { sealBackupFile } from './pipeline/seal-backup.js'
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
    const readFrom: string[] = []
    for (const file of files) {
      if (file.path.endsWith('.sqlite')) {
        mkdirSync(snapshotDir, { recursive: true })
        const snapshot = await snapshotSqlite(
          file.absolutePath,
          join(snapshotDir, file.path.replace(/\//g, '_')),
        )
        snapshots.push(snapshot)
        readFrom.push(snapshot.path)
      } else readFrom.push(file.absolutePath)
    }
    checkAborted(signal)

    // 2. Hash everything for the manifest (it comes first in the archive), in parallel.
    const progress = (phase: BackupProgress['phase'], bytesDone: number) =>
      request.onProgress?.({ phase, bytesDone, bytesTotal })
    let bytesTotal = files.reduce((sum, f) => sum + f.size, 0)
    let hashedBytes = 0
    const results = await hashFiles(readFrom, (_, file) =>
      progress('snapshot', (hashedBytes += file.size)),
    )
    checkAborted(signal)
    const hashed: Manifest['files'] = []
    const kept: ArchiveSource[] = []
    results.forEach((result, index) => {
      const file = files[index] as (typeof files)[number]
      if (result instanceof Error) {
        if (result.code === 'ENOENT') return // deleted since it was listed (an attachment that went away)
        throw result
      }
      hashed.push({ path: file.path, size: result.size, sha256: result.sha256 })
      kept.push({
        path: file.path,
        readFrom: readFrom[index] as string,
        mtime: file.mtime,
        identity: result.identity,
      })
    })
    bytesTotal = hashed.reduce((sum, f) => sum + f.size, 0)
    const createdAt = (request.now ?? (() => new Date()))()
    const manifest: Manifest = {
      format: 'cairn-backup',
      formatVersion: ARCHIVE_FORMAT_VERSION,
      appVersion: APP_VERSION,
      schemaVersion: readUserVersion(kept.find((s) => s.path === profileFiles.database)?.readFrom),
      profileId: request.profileId,
      createdAt: createdAt.toISOString(),
      files: hashed,
    }

    // 3. tar → zstd → age → partial file, hashed on the way for the sidecar.
    let name = backupName(createdAt)
    for (let sequence = 1; existsSync(join(dest, name)); sequence++)
      name = backupName(createdAt, sequence)
    partialPath = insideDestination(dest, partialName(name))
    let done = 0
    const archive = writeArchive(manifest, kept, (n) => {
      done += n
      progress('writing', done)
    })
    // Compression, encryption, hashing and writing run in a worker, beside the reading here.
    const sealed = sealBackupFile(partialPath, recipient)
    await pipeline(archive, sealed.sink, ...(signal ? [{ signal }] : []))
    const output = await sealed.result

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
      size: output.size,
      sha256: output.sha256,
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

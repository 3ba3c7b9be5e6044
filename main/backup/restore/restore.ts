import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { hostname } from 'node:os'
import { dirname, join } from 'node:path'
import { SCHEMA_VERSION } from '../../mail/db/migrations/index.js'
import { profilePaths } from '../../profile/layout.js'
import { acquireProfileLock, type ProfileLock } from '../../profile/lock.js'
import { fsyncDirectorySync } from '../../shared/atomic-file.js'
import { CairnError, errnoCode, isCairnError } from '../../shared/errors.js'
import type { Manifest } from '../archive/manifest.js'
import { checkKeyAgainstSidecar, readSidecarOf } from '../destination/sidecar.js'
import type { BackupKey } from '../key/backup-key.js'
import { restorePaths, writeJournal, type RestoreJournal } from './journal.js'
import { finishSwap, recoverInterruptedRestore } from './recover.js'
import { unpackBackup } from './unpack.js'

export interface RestoreRequest {
  file: string
  key: BackupKey
  profileDir: string
  onProgress?: (progress: { bytesDone: number; bytesTotal: number }) => void
  /** Test hook: called between steps, to interrupt a restore at a chosen point. */
  onStep?: (step: 'unpacked' | 'prepared' | 'moved-aside' | 'swapped') => void
}

export interface RestoreResult {
  manifest: Manifest
  /** Where the profile that was replaced went; removed once the new one opened cleanly. */
  previousRemoved: boolean
}

/**
 * Replace a profile with a backup, never writing into the live profile:
 *   1. decrypt, decompress and unpack into a staging folder beside it (same
 *      filesystem), refusing anything the manifest does not describe;
 *   2. check every file's SHA-256 (done while unpacking), SQLite's
 *      integrity_check, and that the schema is not newer than this Cairn;
 *   3. fsync the staging folder, then swap folders with two renames recorded
 *      in a journal, so a crash at any step is finished or undone at the next
 *      start (recoverInterruptedRestore);
 *   4. open the new profile; only then remove the previous one.
 * The caller must have closed the profile (this takes its lock).
 */
export async function restoreBackup(request: RestoreRequest): Promise<RestoreResult> {
  const { profileDir, key } = request
  recoverInterruptedRestore(profileDir)
  const sidecar = readSidecarOf(request.file)
  checkKeyAgainstSidecar(sidecar, key)

  const hadProfile = existsSync(profileDir)
  mkdirSync(dirname(profileDir), { recursive: true })
  const lock: ProfileLock | null = hadProfile
    ? acquireProfileLock(profilePaths(profileDir).lock)
    : null
  const stamp = new Date().toISOString().replace(/[-:.]/g, '')
  const paths = restorePaths(profileDir, stamp)
  let swapStarted = false
  try {
    mkdirSync(paths.staging)
    let bytesTotal = 0
    let bytesDone = 0
    const manifest = await unpackBackup({
      file: request.file,
      key,
      targetDir: paths.staging,
      expectedFingerprint: sidecar?.keyFingerprint ?? null,
      onManifest: (m) => {
        if (m.schemaVersion > SCHEMA_VERSION) {
          throw new CairnError(
            'BACKUP_TOO_NEW',
            `This backup comes from a newer version of Cairn (mailbox schema ${m.schemaVersion}; this version reads up to ${SCHEMA_VERSION}). Update Cairn, then restore it.`,
          )
        }
        bytesTotal = m.files.reduce((sum, f) => sum + f.size, 0)
      },
      onBytes: (n) => {
        bytesDone += n
        request.onProgress?.({ bytesDone, bytesTotal })
      },
    })
    await fsyncTree(paths.staging)
    request.onStep?.('unpacked')

    const journal: RestoreJournal = {
      version: 1,
      state: 'prepared',
      profile: profileDir,
      staging: paths.staging,
      previous: paths.previous,
      hadProfile,
      pid: process.pid,
      host: hostname(),
      startedAt: new Date().toISOString(),
    }
    writeJournal(profileDir, journal)
    request.onStep?.('prepared')
    writeJournal(profileDir, { ...journal, state: 'swapping' })
    swapStarted = true
    if (hadProfile) {
      renameSync(profileDir, paths.previous)
      request.onStep?.('moved-aside')
    }
    renameSync(paths.staging, profileDir)
    fsyncDirectorySync(dirname(profileDir))
    writeJournal(profileDir, { ...journal, state: 'swapped' })
    request.onStep?.('swapped')
    const outcome = finishSwap(profileDir, { ...journal, state: 'swapped' })
    if (outcome !== 'completed') {
      throw new CairnError(
        'RESTORE_FAILED',
        'The restored profile did not open, so your previous profile was put back.',
      )
    }
    return { manifest, previousRemoved: true }
  } catch (error) {
    if (!swapStarted) {
      rmSync(paths.staging, { recursive: true, force: true })
      rmSync(paths.journal, { force: true })
    }
    throw describe(error)
  } finally {
    // The lock file moved away with the previous profile (and was removed with it); release is a no-op then.
    lock?.release()
  }
}

/** Make every staged file and folder durable before the swap; files are flushed several at a time. */
async function fsyncTree(root: string): Promise<void> {
  const entries = readdirSync(root, { withFileTypes: true, recursive: true })
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
  let next = 0
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < files.length) {
        const handle = await open(files[next++] as string, 'r')
        try {
          await handle.sync()
        } finally {
          await handle.close()
        }
      }
    }),
  )
  for (const dir of entries.filter((e) => e.isDirectory()).map((e) => join(e.parentPath, e.name)))
    fsyncDirectorySync(dir)
  fsyncDirectorySync(root)
}

function describe(error: unknown): unknown {
  if (isCairnError(error)) return error
  const code = errnoCode(error)
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new CairnError(
      'DISK_FULL',
      'The disk is full, so the backup could not be unpacked. Your profile was not changed; free some space and try again.',
      { cause: error },
    )
  }
  return new CairnError(
    'RESTORE_FAILED',
    `The restore failed (${code ?? (error as Error).message}); your profile was not changed.`,
    {
      cause: error,
    },
  )
}

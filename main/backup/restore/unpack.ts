import { CairnError, errnoCode, isCairnError } from '../../shared/errors.js'
import type { BackupSource } from '../destination/backup-source.js'
import type { Sidecar } from '../destination/sidecar.js'
import { AgeError } from '../age/errors.js'
import { isDatabase, type Manifest, type ManifestFile } from '../archive/manifest.js'
import { readArchive } from '../archive/read-archive.js'
import { openBackupStream } from '../pipeline/open-backup.js'
import { integrityCheck, type DatabaseCheck } from './check-database.js'
import { earlyFlusher } from './flush-early.js'
import type { BackupKey } from '../key/backup-key.js'

export interface UnpackOptions {
  source: BackupSource
  key: BackupKey
  targetDir: string
  /** How deeply each database is checked: a restore checks structure, verify everything (check-database.ts). */
  databaseCheck: DatabaseCheck
  write?: (file: ManifestFile) => boolean
  onManifest?: (manifest: Manifest) => void
  onBytes?: (n: number) => void
  /** The account secrets entry, in memory only (see readArchive). */
  onSecrets?: (bytes: Buffer) => void
  /** Each encrypted buffer as it is read (to hash the backup in the same pass). */
  onEncrypted?: (chunk: Buffer) => void
  /** The key fingerprint the backup's sidecar names, for a better message when the key is wrong. */
  expectedFingerprint?: string | null
  /** Start flushing each file to disk as soon as it is written (a restore's staging; see flush-early.ts). */
  flushEarly?: boolean
  /** The backup's sidecar, when the caller has read it already (unpackAny reads it otherwise: a round trip). */
  sidecar?: Sidecar | null
}

/**
 * Decrypt, decompress and read a backup (streamed from wherever it lives) into `targetDir`, checking every
 * file against the manifest on the way (see readArchive), and every
 * database with SQLite's own check, in a worker thread. Databases come
 * first in the archive, so a full check runs while the remaining files are
 * unpacked. Nothing is written before the age header authenticated
 * with the key. Databases are always written out (SQLite checks files).
 */
export async function unpackBackup(options: UnpackOptions): Promise<Manifest> {
  const encrypted = await options.source.read()
  if (options.onEncrypted) encrypted.on('data', options.onEncrypted)
  const plain = openBackupStream(encrypted, options.key)
  const checks: Promise<void>[] = []
  const check = (file: ManifestFile, path: string) =>
    checks.push(checkDatabase(file, path, options.databaseCheck))
  // The structural check (half a second per 500 MB) starts once the archive is read, so its thread
  // and the decryptor's do not hold memory at the same time; the full check (seconds) runs beside it.
  const deferred: [ManifestFile, string][] = []
  const flusher = options.flushEarly ? earlyFlusher() : null
  try {
    const manifest = await readArchive(plain, {
      ...options,
      write: (file) => isDatabase(file.path) || (options.write?.(file) ?? true),
      onFileDone: (file, path) => {
        if (isDatabase(file.path)) {
          if (options.databaseCheck === 'structure') deferred.push([file, path])
          else check(file, path)
        }
        flusher?.add(path)
      },
    })
    for (const [file, path] of deferred) check(file, path)
    await Promise.all(checks)
    return manifest
  } catch (error) {
    await Promise.allSettled(checks)
    throw explain(error, options)
  } finally {
    plain.destroy()
    // No file handle outlives the unpacking (staging may be removed next).
    await flusher?.settled()
  }
}

async function checkDatabase(
  file: ManifestFile,
  path: string,
  depth: DatabaseCheck,
): Promise<void> {
  const result = await integrityCheck(path, depth)
  if (result !== 'ok') {
    throw new CairnError(
      'BACKUP_CORRUPT',
      `This backup cannot be used: its database ${file.path} fails SQLite's integrity check (${result.slice(0, 300)}).`,
    )
  }
}

/** A key other than the one the backup was made with, said the same way wherever it is found out. */
export function wrongKey(
  key: BackupKey,
  expectedFingerprint: string | null | undefined,
): CairnError {
  return new CairnError(
    'KEY_MISMATCH',
    expectedFingerprint && expectedFingerprint !== key.fingerprint
      ? `This backup needs the key with fingerprint ${expectedFingerprint}; the key given has fingerprint ${key.fingerprint}. ` +
          'It may be the key of another profile, or a typo.'
      : `This backup was not made with this key (key fingerprint ${key.fingerprint}). Check that you typed the key of this profile.`,
  )
}

export function explain(
  error: unknown,
  options: Pick<UnpackOptions, 'key' | 'expectedFingerprint'>,
): unknown {
  if (error instanceof AgeError) {
    switch (error.failure) {
      case 'no match':
        return wrongKey(options.key, options.expectedFingerprint)
      case 'armor':
        return new CairnError(
          'BACKUP_CORRUPT',
          `This backup file is ASCII-armored but its armor is damaged (${error.message.replace(/^age armor: /, '')}).`,
        )
      case 'hmac':
      case 'header':
        return new CairnError(
          'BACKUP_CORRUPT',
          `This backup file is damaged: its encryption header cannot be read (${error.message}).`,
        )
      case 'payload':
        return new CairnError(
          'BACKUP_CORRUPT',
          `This backup file is damaged or incomplete (${error.message.replace(/^age payload: /, '')}). Use an older backup.`,
        )
    }
  }
  if (isCairnError(error)) return error
  const code = errnoCode(error)
  if (
    code === 'ERR_CAIRN_ZSTD' ||
    (error instanceof Error && /zstd|Unknown frame|Data corruption/i.test(error.message))
  ) {
    return new CairnError(
      'BACKUP_CORRUPT',
      `This backup decrypts with the key, but its compressed data is damaged (${(error as Error).message}), ` +
        'so it was damaged before it was encrypted or was not made by Cairn. Use another backup.',
      { cause: error },
    )
  }
  return error
}

import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CairnError, errnoCode } from '../shared/errors.js'
import { hashFile } from './archive/hashing.js'
import { checkKeyAgainstSidecar, readSidecarOf, type Sidecar } from './destination/sidecar.js'
import type { BackupKey } from './key/backup-key.js'
import { unpackBackup } from './restore/unpack.js'

export interface VerifyReport {
  file: string
  size: number
  sha256: string
  sidecar: Sidecar | null
  /** 'integrity': the file is the one its sidecar describes. 'full': decrypted, every file and database checked. */
  level: 'integrity' | 'full'
  files?: number
  schemaVersion?: number
  createdAt?: string
}

/**
 * Check a backup. Without the key: the file exists, and its size and
 * SHA-256 match its sidecar (it is intact, as written). With the key, also:
 * it decrypts, every file matches the manifest, and every database passes
 * SQLite's integrity check. Throws a CairnError that says what is wrong.
 */
export async function verifyBackup(file: string, key?: BackupKey): Promise<VerifyReport> {
  let size: number
  try {
    size = statSync(file).size
  } catch (error) {
    throw new CairnError(
      errnoCode(error) === 'ENOENT' ? 'NOT_FOUND' : 'BACKUP_DESTINATION',
      `Cannot read the backup ${file} (${errnoCode(error) ?? 'error'}).`,
    )
  }
  const sidecar = readSidecarOf(file)
  const sha256 = await hashFile(file)
  if (sidecar) {
    if (sidecar.size !== size) {
      throw new CairnError(
        'BACKUP_CORRUPT',
        `This backup is ${size} bytes but was written as ${sidecar.size}: it is truncated or damaged.`,
      )
    }
    if (sidecar.sha256 !== sha256) {
      throw new CairnError(
        'BACKUP_CORRUPT',
        'This backup no longer matches the checksum it was written with: it is damaged.',
      )
    }
  }
  if (!key) {
    if (!sidecar) {
      throw new CairnError(
        'BACKUP_CORRUPT',
        'This backup has no readable sidecar (.json), so it cannot be checked without the key. Verify it with the key.',
      )
    }
    return { file, size, sha256, sidecar, level: 'integrity' }
  }
  checkKeyAgainstSidecar(sidecar, key)
  const scratch = mkdtempSync(join(tmpdir(), 'cairn-verify-'))
  try {
    // Only databases are written out (for SQLite's check); the rest is hashed in passing.
    const manifest = await unpackBackup({
      file,
      key,
      targetDir: scratch,
      write: () => false,
      expectedFingerprint: sidecar?.keyFingerprint ?? null,
    })
    return {
      file,
      size,
      sha256,
      sidecar,
      level: 'full',
      files: manifest.files.length,
      schemaVersion: manifest.schemaVersion,
      createdAt: manifest.createdAt,
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}

import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { profileFiles } from '../profile/layout.js'
import { CairnError, errnoCode } from '../shared/errors.js'
import { processAlive } from '../shared/process-alive.js'
import { reachedStep } from '../shared/test-hooks.js'
import { hashFile } from './archive/hashing.js'
import { parseBackupName } from './destination/names.js'
import { readSidecarOf, type Sidecar } from './destination/sidecar.js'
import type { BackupKey } from './key/backup-key.js'
import { keyThatOpens } from './key/choose-key.js'
import { checkSecretsAgainstAccounts, parseSecretsEntry } from './secrets-entry.js'
import { checkManifestGivesProfile, checkUnpackedProfile } from './restore/check-profile.js'
import { metadataMismatch } from './restore/plan.js'
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
  profileId?: string
  keyFingerprint?: string
  messages?: number
  accountSecrets?: number
}

/**
 * Check a backup. Without the key: the file exists, its size and SHA-256
 * match its sidecar, and its name agrees with its sidecar (it is intact, as
 * written). With the key, also everything a restore checks before it swaps
 * anything in: it decrypts, every file matches the manifest, every database
 * passes SQLite's integrity check, it gives a working profile (settings,
 * mailbox of a known schema), its account secrets entry is sound, and its
 * name and sidecar agree with what the encrypted contents say. Throws a
 * CairnError that says what is wrong.
 */
export async function verifyBackup(
  file: string,
  keys?: BackupKey | readonly BackupKey[],
): Promise<VerifyReport> {
  let size: number
  try {
    const stats = statSync(file)
    if (!stats.isFile()) {
      throw new CairnError(
        'INVALID_ARGUMENT',
        `${file} is a folder, not a backup file. Name one of the backup files in it (cairn list --to ${file} shows them).`,
      )
    }
    size = stats.size
  } catch (error) {
    if (error instanceof CairnError) throw error
    throw new CairnError(
      errnoCode(error) === 'ENOENT' ? 'NOT_FOUND' : 'BACKUP_DESTINATION',
      errnoCode(error) === 'ENOENT'
        ? `There is no backup file at ${file}. Check the path; cairn list --to FOLDER shows the backups in a folder.`
        : `Cairn cannot read the backup ${file} (${errnoCode(error) ?? 'error'}): check that the drive is connected and that you may read the file.`,
      { cause: error },
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
    checkNameAgainstSidecar(file, sidecar)
  }
  const candidates = keys === undefined ? [] : Array.isArray(keys) ? keys : [keys as BackupKey]
  if (candidates.length === 0) {
    if (!sidecar) {
      throw new CairnError(
        'BACKUP_CORRUPT',
        'This backup has no readable sidecar (.json), so it cannot be checked without the key. Verify it with the key.',
      )
    }
    return { file, size, sha256, sidecar, level: 'integrity' }
  }
  const key = keyThatOpens(file, candidates) ?? (candidates[0] as BackupKey)
  const scratch = verifyScratch()
  try {
    // Databases and settings are written out (SQLite checks files); the rest is hashed in passing.
    let secretsBytes: Buffer | null = null
    const manifest = await unpackBackup({
      file,
      key,
      targetDir: scratch,
      write: (f) => f.path === profileFiles.settings,
      onManifest: checkManifestGivesProfile,
      onSecrets: (bytes) => (secretsBytes = bytes),
      expectedFingerprint: sidecar?.keyFingerprint ?? null,
    })
    reachedStep('verify-unpacked')
    const unpacked = checkUnpackedProfile(scratch, manifest)
    const secrets = secretsBytes ? parseSecretsEntry(secretsBytes, manifest.profileId) : null
    if (secrets) checkSecretsAgainstAccounts(secrets, unpacked.accounts)
    const [mismatch] = metadataMismatch(file, sidecar, manifest, key)
    if (mismatch) throw new CairnError('BACKUP_MISMATCH', mismatch.message)
    return {
      file,
      size,
      sha256,
      sidecar,
      level: 'full',
      files: manifest.files.length - (secrets ? 1 : 0),
      schemaVersion: manifest.schemaVersion,
      createdAt: manifest.createdAt,
      profileId: manifest.profileId,
      keyFingerprint: key.fingerprint,
      messages: unpacked.messages,
      accountSecrets: secrets?.secrets.length ?? 0,
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}

/** Without the key, the name and the sidecar can still be held against each other. */
function checkNameAgainstSidecar(file: string, sidecar: Sidecar): void {
  const name = basename(file)
  const named = parseBackupName(name)
  const described = new Date(sidecar.createdAt).getTime()
  // A file the user renamed to a name of their own is not checked; a Cairn name must agree.
  if (!named) return
  if (sidecar.file !== name || Math.floor(described / 1000) !== named.getTime() / 1000) {
    throw new CairnError(
      'BACKUP_MISMATCH',
      `This backup's sidecar describes ${sidecar.file}, made on ${sidecar.createdAt}, but the file is named ${name}: ` +
        'it was renamed or its sidecar edited after it was made. Verify it with the key to see what it holds.',
    )
  }
}

/**
 * A private folder (0700) for the databases a verify must write out to let
 * SQLite check them. Its name carries the process id, so a verify that was
 * killed leaves nothing behind for long: the next verify removes the
 * folders of processes that are gone.
 */
function verifyScratch(): string {
  const prefix = 'cairn-verify-'
  let names: string[] = []
  try {
    names = readdirSync(tmpdir())
  } catch {
    // An unreadable temporary folder: nothing to clean.
  }
  for (const name of names) {
    const pid = Number(/^cairn-verify-(\d+)-/.exec(name)?.[1])
    if (!Number.isFinite(pid) || processAlive(pid)) continue
    try {
      rmSync(join(tmpdir(), name), { recursive: true, force: true })
    } catch {
      // Another user's (the temporary folder is shared): theirs to clean.
    }
  }
  return mkdtempSync(join(tmpdir(), `${prefix}${process.pid}-`))
}

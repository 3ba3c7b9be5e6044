import { createHash } from 'node:crypto'
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  realpathSync,
  rmSync,
} from 'node:fs'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { osKeychain, type SecretStore } from '../keychain/keychain.js'
import { profileFiles, profilePaths } from '../profile/layout.js'
import { PROFILE_DIR_MODE } from '../profile/permissions.js'
import { fsyncDirectorySync } from '../shared/atomic-file.js'
import { CairnError, errnoCode, isCairnError } from '../shared/errors.js'
import { reachedStep } from '../shared/test-hooks.js'
import { APP_VERSION } from '../shared/version.js'
import { parseRecipient } from './age/x25519.js'
import { hashFiles, type HashTarget } from './archive/hash-files.js'
import { ARCHIVE_FORMAT_VERSION, SECRETS_NAME, type Manifest } from './archive/manifest.js'
import { writeArchive, type ArchiveSource } from './archive/write-archive.js'
import {
  checkDestination,
  checkDestinationOutsideProfile,
  claimBackupName,
  destinationError,
  insideDestination,
  listBackups,
  removeStalePartials,
} from './destination/folder.js'
import { backupName, partialName, pendingSidecarName, sidecarName } from './destination/names.js'
import { backupsToDelete, type RetentionPolicy } from './destination/retention.js'
import { writeSidecar, type Sidecar } from './destination/sidecar.js'
import { fingerprintOf } from './key/backup-key.js'
import { sealBackupFile } from './pipeline/seal-backup.js'
import { collectAccountSecrets, type AccountRow } from './secrets-entry.js'
import { listProfileFiles } from './snapshot/profile-files.js'
import { profileReadError } from './snapshot/profile-read-error.js'
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
  /** Where the accounts' passwords are read from (default: the OS keychain). */
  secretStore?: SecretStore
  signal?: AbortSignal
  onProgress?: (progress: BackupProgress) => void
  /** Test hook: called between steps, to change the profile at a chosen point. */
  onStep?: (step: BackupStep) => void | Promise<void>
  now?: () => Date
}

export type BackupStep = 'listed' | 'hashed' | 'claimed'

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
  /** How many account passwords and tokens the backup carries (inside the encryption). */
  accountSecrets: number
  /** Things the user should know although the backup succeeded (e.g. no keychain: no passwords in it). */
  warnings: string[]
  deleted: string[]
}

/**
 * Back up a profile to a destination folder: a consistent snapshot of each
 * database, every other profile file, the accounts' secrets from the
 * keychain, and a manifest with their SHA-256, as one tar → zstd → age
 * stream with bounded memory. The file is written under a partial name,
 * fsynced, given its real name exclusively (never replacing another backup)
 * and its folder fsynced, and only then described by its sidecar; a crash
 * at any point leaves older backups as they were and at most a partial file,
 * which the next run removes (or completes, when it already had its name).
 */
export async function runBackup(request: BackupRequest): Promise<BackupResult> {
  const { destinationDir: dest, signal } = request
  const recipient = checkRecipient(request.recipient, request.keyFingerprint)
  const profileDir = realProfileDir(request.profileDir)
  checkDestination(dest)
  checkDestinationOutsideProfile(dest, profileDir)
  removeStalePartials(dest)

  const snapshotDir = join(profilePaths(profileDir).cache, 'backup-snapshot')
  const snapshots: SqliteSnapshot[] = []
  const warnings: string[] = []
  let partialPath: string | null = null
  let claimedPath: string | null = null
  try {
    // 1. What to back up; databases through a consistent snapshot.
    const listed = listProfileFiles(profileDir)
    // settings.json is replaced whenever a setting changes, also while a backup runs (the
    // settings screens): it is read into memory now, so a later change is simply not in it.
    const settings = listed.find((f) => f.path === profileFiles.settings)
    const settingsBytes = settings
      ? readSmallProfileFile(settings.path, settings.absolutePath)
      : null
    const files = listed.filter((f) => f !== settings)
    await request.onStep?.('listed')
    const targets: HashTarget[] = []
    let mailbox: SqliteSnapshot | null = null
    for (const file of files) {
      if (file.path.endsWith('.sqlite')) {
        mkdirSync(snapshotDir, { recursive: true, mode: PROFILE_DIR_MODE })
        const snapshot = await snapshotOf(file.path, file.absolutePath, snapshotDir)
        snapshots.push(snapshot)
        if (file.path === profileFiles.database) mailbox = snapshot
        // SQLite opened the path: it must still be the listed file, not a link swapped in.
        stillListed(file.path, file.absolutePath, file.identity)
        targets.push(
          snapshot.method === 'frozen'
            ? { path: snapshot.path, expect: file.identity }
            : { path: snapshot.path },
        )
      } else targets.push({ path: file.absolutePath, expect: file.identity })
    }
    checkAborted(signal)

    // 2. The accounts' secrets, read for the accounts the snapshot holds (memory only).
    const secrets = collectAccountSecrets(
      request.secretStore ?? osKeychain(),
      request.profileId,
      mailbox ? accountsOf(mailbox) : [],
    )
    if (secrets.warning) warnings.push(secrets.warning)

    // 3. Hash everything for the manifest (it comes first in the archive), in parallel.
    const progress = (phase: BackupProgress['phase'], bytesDone: number) =>
      request.onProgress?.({ phase, bytesDone, bytesTotal })
    let bytesTotal = files.reduce((sum, f) => sum + f.size, 0) + (settingsBytes?.length ?? 0)
    let hashedBytes = 0
    const results = await hashFiles(targets, (_, file) =>
      progress('snapshot', (hashedBytes += file.size)),
    )
    checkAborted(signal)
    const createdAt = (request.now ?? (() => new Date()))()
    const hashed: Manifest['files'] = []
    const kept: ArchiveSource[] = []
    if (secrets.bytes) {
      hashed.push({ path: SECRETS_NAME, size: secrets.bytes.length, sha256: sha256(secrets.bytes) })
      kept.push({ path: SECRETS_NAME, bytes: secrets.bytes, mtime: createdAt })
    }
    if (settings && settingsBytes) {
      hashed.push({
        path: settings.path,
        size: settingsBytes.length,
        sha256: sha256(settingsBytes),
      })
      kept.push({ path: settings.path, bytes: settingsBytes, mtime: settings.mtime })
    }
    results.forEach((result, index) => {
      const file = files[index] as (typeof files)[number]
      if (result instanceof Error) {
        // Deleted since it was listed (an attachment that went away): it is simply not in this backup.
        if (result.code === 'ENOENT' && !file.path.endsWith('.sqlite')) return
        if (result.code === 'ECHANGED') throw replaced(file.path)
        throw profileReadError(file.path, file.absolutePath, result)
      }
      hashed.push({ path: file.path, size: result.size, sha256: result.sha256 })
      kept.push({
        path: file.path,
        readFrom: (targets[index] as HashTarget).path,
        mtime: file.mtime,
        identity: result.identity,
      })
    })
    await request.onStep?.('hashed')
    bytesTotal = hashed.reduce((sum, f) => sum + f.size, 0)
    const manifest: Manifest = {
      format: 'cairn-backup',
      formatVersion: ARCHIVE_FORMAT_VERSION,
      appVersion: APP_VERSION,
      schemaVersion: readUserVersion(mailbox?.path),
      profileId: request.profileId,
      createdAt: createdAt.toISOString(),
      keyFingerprint: request.keyFingerprint,
      files: hashed,
    }

    // 4. tar → zstd → age → partial file, hashed on the way for the sidecar.
    partialPath = insideDestination(dest, partialName(backupName(createdAt)))
    let done = 0
    const archive = writeArchive(manifest, kept, (n) => {
      done += n
      progress('writing', done)
    })
    // Compression, encryption, hashing and writing run in a worker, beside the reading here.
    const sealed = sealBackupFile(partialPath, recipient)
    await pipeline(archive, sealed.sink, ...(signal ? [{ signal }] : []))
    const output = await sealed.result

    // 5. The sidecar waits beside the partial file, then the file gets its real name
    //    (exclusively), then the sidecar does. A crash in between is completed by the next run.
    const sidecar: Sidecar = {
      format: 'cairn-backup-sidecar',
      formatVersion: 1,
      file: '',
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
    const pendingPath = pendingSidecarName(partialPath)
    writeSidecar(pendingPath, sidecar)
    const claimed = claimBackupName(dest, partialPath, createdAt)
    claimedPath = claimed.path
    reachedStep('backup-claimed')
    await request.onStep?.('claimed')
    writeSidecar(insideDestination(dest, sidecarName(claimed.name)), {
      ...sidecar,
      file: claimed.name,
    })
    claimedPath = null
    rmSync(partialPath, { force: true })
    rmSync(pendingPath, { force: true })
    partialPath = null
    fsyncDirectorySync(dest)

    // 6. Retention, now that the new backup is complete.
    const deleted: string[] = []
    if (request.retention) {
      for (const entry of backupsToDelete(
        listBackups(dest),
        request.profileId,
        request.retention,
        createdAt,
      )) {
        if (entry.name === claimed.name) continue
        rmSync(insideDestination(dest, entry.name), { force: true })
        rmSync(insideDestination(dest, sidecarName(entry.name)), { force: true })
        deleted.push(entry.name)
      }
      if (deleted.length > 0) fsyncDirectorySync(dest)
    }
    return {
      name: claimed.name,
      path: claimed.path,
      size: sidecar.size,
      sha256: sidecar.sha256,
      createdAt: manifest.createdAt,
      files: hashed.length - (secrets.bytes ? 1 : 0),
      bytes: bytesTotal,
      snapshot: snapshots[0]?.method ?? 'none',
      accountSecrets: secrets.count,
      warnings,
      deleted,
    }
  } catch (error) {
    throw describeFailure(error, dest, signal)
  } finally {
    // A backup that failed after it got its name (its sidecar could not be written) goes too.
    if (claimedPath) rmSync(claimedPath, { force: true })
    if (partialPath) {
      rmSync(partialPath, { force: true })
      rmSync(pendingSidecarName(partialPath), { force: true })
    }
    for (const snapshot of snapshots) snapshot.release()
  }
}

/**
 * The recipient backups are encrypted to must be the public half of the key
 * the fingerprint names. Settings (or a restored profile) that pair the
 * user's fingerprint with another recipient would make every backup readable
 * by whoever holds that other key, while looking like the user's own; the
 * fingerprint is derived from the public key, so this needs no secret.
 */
function checkRecipient(recipient: string, fingerprint: string): Uint8Array {
  let publicKey: Uint8Array
  try {
    publicKey = parseRecipient(recipient)
  } catch (error) {
    throw new CairnError(
      'BACKUP_KEY_INVALID',
      `The profile's backup key recipient is not valid (${(error as Error).message}), so nothing was backed up. ` +
        'Set the backup key again (cairn key import, or cairn key create --force).',
    )
  }
  const actual = fingerprintOf(publicKey)
  if (actual !== fingerprint) {
    throw new CairnError(
      'BACKUP_KEY_INVALID',
      `The profile's backup settings name the key ${fingerprint} but would encrypt to the key ${actual}: ` +
        'they were changed by something other than Cairn (or restored from a tampered backup), and a backup could be readable by someone else. ' +
        'Nothing was backed up. Set your backup key again (cairn key import with your key, or cairn key create --force).',
    )
  }
  return publicKey
}

/** The profile folder itself (a link to it is followed once, here): backups list what is inside. */
function realProfileDir(dir: string): string {
  try {
    return realpathSync(dir)
  } catch (error) {
    throw new CairnError(
      'PROFILE_UNAVAILABLE',
      errnoCode(error) === 'ENOENT'
        ? `There is no profile at ${dir}, so there is nothing to back up. Check the --profile path.`
        : `Cairn cannot open the profile folder ${dir} (${errnoCode(error) ?? 'error'}). Check its permissions.`,
      { cause: error },
    )
  }
}

async function snapshotOf(
  path: string,
  absolutePath: string,
  dir: string,
): Promise<SqliteSnapshot> {
  try {
    return await snapshotSqlite(absolutePath, join(dir, path.replace(/\//g, '_')))
  } catch (error) {
    if (isCairnError(error)) throw error
    const code = errnoCode(error)
    if (code && /^E[A-Z]+$/.test(code)) throw profileReadError(path, absolutePath, error)
    throw new CairnError(
      'PROFILE_UNAVAILABLE',
      `Cairn could not read the database ${path} in the profile (${(error as Error).message}), so nothing was backed up. ` +
        'If the app reports the same problem, restore the profile from an earlier backup.',
      { cause: error },
    )
  }
}

function stillListed(
  path: string,
  absolutePath: string,
  identity: { dev: number; ino: number },
): void {
  let stats
  try {
    stats = lstatSync(absolutePath)
  } catch (error) {
    throw profileReadError(path, absolutePath, error)
  }
  if (!stats.isFile() || stats.dev !== identity.dev || stats.ino !== identity.ino)
    throw replaced(path)
}

function replaced(path: string): CairnError {
  return new CairnError(
    'BACKUP_CHANGED_DURING',
    `${path} was replaced (by another file or a link) while it was being backed up; the backup was stopped and will be tried again. ` +
      'If nothing should be changing the profile, check its folder for links you did not make.',
  )
}

function accountsOf(snapshot: SqliteSnapshot): AccountRow[] {
  try {
    return snapshot.all<AccountRow>('SELECT id, kind FROM accounts')
  } catch {
    return [] // a mailbox without accounts yet
  }
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CairnError('BACKUP_CANCELLED', 'The backup was cancelled.')
}

function describeFailure(error: unknown, dest: string, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return new CairnError('BACKUP_CANCELLED', 'The backup was cancelled.')
  if (isCairnError(error)) return error
  // Reading the profile reports its own errors (above); a system error left is writing the backup.
  return errnoCode(error) ? destinationError(dest, error) : error
}

/** A small profile file, read whole through one descriptor that must be a regular file, not a link. */
function readSmallProfileFile(path: string, absolutePath: string): Buffer {
  let fd: number
  try {
    fd = openSync(absolutePath, constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch (error) {
    if (errnoCode(error) === 'ELOOP') throw replaced(path)
    throw profileReadError(path, absolutePath, error)
  }
  try {
    if (!fstatSync(fd).isFile()) throw replaced(path)
    return readFileSync(fd)
  } finally {
    closeSync(fd)
  }
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

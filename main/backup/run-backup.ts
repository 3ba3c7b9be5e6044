import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { destinationSecrets } from '../keychain/destination-secrets.js'
import { osKeychain, type SecretStore } from '../keychain/keychain.js'
import { profileFiles, profilePaths } from '../profile/layout.js'
import { CairnError, describeError, errnoCode, isCairnError } from '../shared/errors.js'
import { reachedStep } from '../shared/test-hooks.js'
import { APP_VERSION } from '../shared/version.js'
import { parseRecipient } from './age/x25519.js'
import { hashFiles, type HashTarget } from './archive/hash-files.js'
import {
  ARCHIVE_FORMAT_VERSION,
  isDatabase,
  SECRETS_NAME,
  type Manifest,
} from './archive/manifest.js'
import { writeArchive, type ArchiveSource, type IncrementEntries } from './archive/write-archive.js'
import {
  BLOCK_SIZE,
  INCREMENTAL_FORMAT_VERSION,
  type BackupKind,
  type ManifestChain,
} from './chain/chain-format.js'
import { PageRecordStore, type LoadedRecord } from './chain/page-record.js'
import {
  DEFAULT_CHAIN_POLICY,
  planLink,
  type ChainPolicy,
  type LinkPlan,
} from './chain/plan-link.js'
import { hashBlocks } from './chain/hash-blocks.js'
import { scanDatabase, type ScannedDatabase } from './chain/scan-database.js'
import type { CommittedBackup, Destination } from './destination/destination.js'
import { openSpec, resolveDestination, type DestinationSpec } from './destination/resolve.js'
import { backupsToDelete, type RetentionPolicy } from './destination/retention.js'
import { networkError } from './destination/destination-errors.js'
import { isTransient } from './destination/retry.js'
import type { Sidecar } from './destination/sidecar.js'
import { fingerprintOf } from './key/backup-key.js'
import { sealBackupInThread } from './pipeline/seal-in-thread.js'
import { sealBackupStream } from './pipeline/seal-backup.js'
import { collectAccountSecrets, type AccountRow } from './secrets-entry.js'
import {
  readSmallProfileFile,
  readUserVersion,
  realProfileDir,
  replaced,
  snapshotFolder,
  stillListed,
} from './snapshot/profile-checks.js'
import { listProfileFiles, restat, type ProfileFile } from './snapshot/profile-files.js'
import { profileReadError } from './snapshot/profile-read-error.js'
import { snapshotSqlite, type SqliteSnapshot } from './snapshot/sqlite-snapshot.js'

export interface BackupRequest {
  profileDir: string
  /**
   * Where the backup goes: a folder path or a URL (s3://, webdav(s)://,
   * sftp://), a resolved named destination (its settings; its secrets come
   * from `secretStore`), or a Destination already open (left open).
   */
  destination: string | DestinationSpec | Destination
  /** The backup key's public recipient (age1…): all a backup needs. */
  recipient: string
  keyFingerprint: string
  profileId: string
  vaultId?: string | null
  retention?: RetentionPolicy | null
  /** Where the accounts' passwords and the destination's secrets are read from (default: the OS keychain). */
  secretStore?: SecretStore
  /** Upper bound on upload speed, bytes per second (default: the named destination's setting, else none). */
  bandwidthLimit?: number | null
  /** Tries of the upload after transient failures (a lost link, a server error), with backoff and jitter. */
  uploadAttempts?: number
  /** How long to wait before retry n (default: random up to 2 s × 2^(n−1), at most 30 s). */
  retryDelayMs?: (attempt: number) => number
  env?: NodeJS.ProcessEnv
  signal?: AbortSignal
  onProgress?: (progress: BackupProgress) => void
  /** Test hook: called between steps, to change the profile at a chosen point. */
  onStep?: (step: BackupStep) => void | Promise<void>
  now?: () => Date
  /** Make a full backup even when an incremental one would do (`cairn backup --full`). */
  full?: boolean
  /** When a chain ends (default: DEFAULT_CHAIN_POLICY). */
  chainPolicy?: ChainPolicy
}

export type BackupStep = 'listed' | 'hashed'

export interface BackupProgress {
  phase: 'snapshot' | 'writing'
  bytesDone: number
  bytesTotal: number
}

export interface BackupResult {
  name: string
  /** Where the backup is: its path in a folder, or its URL. */
  path: string
  /** The destination, as messages name it (a folder path or a URL; never a secret). */
  destination: string
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
  /** Upload attempts it took (1 unless the link or the server failed on the way). */
  attempts: number
  /** Full, or an incremental link of a chain (see chain/chain-format.ts). */
  kind: BackupKind
  chainId: string
  chainIndex: number
  /** The chain's full backup (this one, for a full). */
  base: string
  /** Why this backup is full (null for an incremental). */
  fullReason: string | null
  /** Uncompressed bytes this backup carries (all for a full; the changes for an incremental). */
  carriedBytes: number
  /** Backups retention would have deleted but kept, because a kept link of their chain needs them. */
  keptForChains: { name: string; neededBy: string }[]
}

/** A link carrying at most this (uncompressed) is sealed on the calling thread. */
const SEAL_IN_THREAD_BYTES = 8 * 1024 * 1024

/**
 * Back up a profile to a destination: a consistent snapshot of each
 * database, every other profile file, the accounts' secrets from the
 * keychain, and a manifest with their SHA-256, as one tar → zstd → age
 * stream with bounded memory and no local scratch, written straight into
 * the destination's upload stream. The destination keeps it under a
 * temporary name until it is complete, then gives it its real name
 * exclusively (never replacing another backup) and only then writes its
 * sidecar; a crash at any point leaves older backups as they were and at
 * most temporary data, which the next run removes (or completes, when it
 * already had its name). Transient failures of the upload (a lost link, a
 * server error) are retried from the snapshot, with backoff and jitter.
 * Retention then prunes this profile's older complete backups there.
 */
export async function runBackup(request: BackupRequest): Promise<BackupResult> {
  const { signal } = request
  const recipient = checkRecipient(request.recipient, request.keyFingerprint)
  const profileDir = realProfileDir(request.profileDir)
  const secretStore = request.secretStore ?? osKeychain()
  const { destination, owned, bandwidthLimit } = openTarget(request, secretStore)
  const snapshots: SqliteSnapshot[] = []
  const warnings: string[] = []
  try {
    await destination.checkUsable({ profileDir })
    await destination.cleanup()

    // 1. What to back up; databases through a consistent snapshot.
    const listed = listProfileFiles(profileDir)
    // settings.json is replaced whenever a setting changes, also while a backup runs (the
    // settings screens): it is read into memory now, so a later change is simply not in it.
    const settings = listed.find((f) => f.path === profileFiles.settings)
    const settingsBytes = settings
      ? readSmallProfileFile(settings.path, settings.absolutePath)
      : null
    let files = listed.filter((f) => f !== settings)
    await request.onStep?.('listed')
    const targets: HashTarget[] = []
    const frozen = new Map<string, ProfileFile>()
    const racy = new Set<string>()
    let mailbox: SqliteSnapshot | null = null
    for (const file of files) {
      if (isDatabase(file.path)) {
        const snapshot = await snapshotOf(file.path, file.absolutePath, profileDir)
        snapshots.push(snapshot)
        if (file.path === profileFiles.database) mailbox = snapshot
        // SQLite opened the path: it must still be the listed file, not a link swapped in.
        stillListed(file.path, file.absolutePath, file.identity)
        if (snapshot.method === 'frozen') {
          // Frozen in place, after the snapshot's checkpoint: its size and time now are those
          // of the bytes read (the record keeps them, so an untouched mailbox is not read again).
          const now = restat(file)
          frozen.set(file.path, now)
          // Written moments ago, a later write could keep its time (the clock's step, a whole
          // second on some filesystems): not recorded, so the next backup reads it again.
          const step = now.identity.mtimeMs % 1000 === 0 ? 3000 : 50
          if (Date.now() - now.identity.mtimeMs < step) racy.add(file.path)
        }
        targets.push(
          snapshot.method === 'frozen'
            ? { path: snapshot.path, expect: file.identity }
            : { path: snapshot.path },
        )
      } else targets.push({ path: file.absolutePath, expect: file.identity })
    }
    files = files.map((file) => frozen.get(file.path) ?? file)
    checkAborted(signal)

    // 2. The accounts' secrets, read for the accounts the snapshot holds (memory only).
    const secrets = collectAccountSecrets(
      secretStore,
      request.profileId,
      mailbox ? accountsOf(mailbox) : [],
    )
    if (secrets.warning) warnings.push(secrets.warning)

    // 3. Hash everything for the manifest (it comes first in the archive), in parallel.
    const progress = (phase: BackupProgress['phase'], bytesDone: number) =>
      request.onProgress?.({ phase, bytesDone, bytesTotal })
    let bytesTotal = files.reduce((sum, f) => sum + f.size, 0) + (settingsBytes?.length ?? 0)
    let hashedBytes = 0
    // A file the record of the last backup here saw with the same inode, size and modification
    // time is not read again (as restic and Borg decide): Cairn never rewrites a profile file
    // in place (attachments are immutable, settings are renamed over), so its hash is the
    // recorded one. A database is written in place, so only one frozen in place by its
    // snapshot (no write reaches the file while the backup reads it; the next checkpoint, after
    // the backup, moves its time) whose blocks the record holds is taken from the record; a
    // snapshot copy is a new file and always read.
    const records = new PageRecordStore(profilePaths(profileDir).backupState)
    const record = request.full ? null : records.load(destination.label)
    const known = new Map(record?.record.files.map((f) => [f.path, f]) ?? [])
    const reused = files.map((file) => {
      const seen = known.get(file.path)
      const same =
        seen !== undefined &&
        seen.ino === file.identity.ino &&
        seen.mtimeMs === file.identity.mtimeMs &&
        seen.size === file.size
      if (!same) return null
      if (isDatabase(file.path) && (!frozen.has(file.path) || !record?.blocks.has(file.path)))
        return null
      return { sha256: seen.sha256, size: seen.size, identity: file.identity }
    })
    // Each database read again has its blocks hashed for the chain while the hash workers
    // take its SHA-256 (the two passes run on different cores).
    const scans = new Map(
      files.flatMap((file, index) =>
        isDatabase(file.path) && reused[index] === null
          ? [
              [
                file.path,
                scanDatabase(file.path, (targets[index] as HashTarget).path, records).catch(
                  (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
                ),
              ] as const,
            ]
          : [],
      ),
    )
    const toHash = targets.filter((_, index) => reused[index] === null)
    const fresh = await hashFiles(toHash, (_, file) =>
      progress('snapshot', (hashedBytes += file.size)),
    )
    let next = 0
    const results = reused.map((known) => known ?? (fresh[next++] as (typeof fresh)[number]))
    const scanned = new Map<string, ScannedDatabase | Error>()
    for (const [path, scan] of scans) scanned.set(path, await scan)
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
        if (result.code === 'ENOENT' && !isDatabase(file.path)) return
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

    // 4. Full or incremental: the blocks and files against the record of the last backup here.
    const databases: ScannedDatabase[] = []
    for (const [index, file] of files.entries()) {
      if (!isDatabase(file.path) || results[index] instanceof Error) continue
      const scan = scanned.get(file.path)
      if (scan instanceof Error) throw profileReadError(file.path, file.absolutePath, scan)
      databases.push(scan ?? recordedScan(file.path, file.size, record as LoadedRecord))
    }
    checkAborted(signal)
    const plan = planLink({
      record,
      forceFull: request.full === true,
      policy: request.chainPolicy ?? DEFAULT_CHAIN_POLICY,
      now: createdAt,
      listing: record ? await destination.list() : [],
      profileId: request.profileId,
      keyFingerprint: request.keyFingerprint,
      files: hashed,
      databases,
      alwaysCarried: new Set([SECRETS_NAME]),
    })
    const pageGroups = plan.pages.map((group) => {
      const db = databases.find((d) => d.path === group.path) as ScannedDatabase
      const index = files.findIndex((f) => f.path === group.path)
      return { ...group, readFrom: (targets[index] as HashTarget).path, size: db.size }
    })
    const chain: ManifestChain = {
      id: plan.chainId,
      index: plan.index,
      links: plan.previous.map(({ createdAt, sha256 }) => ({ createdAt, sha256 })),
      blockSize: BLOCK_SIZE,
      pages: await Promise.all(
        pageGroups.map(async (group) => ({
          path: group.path,
          blocks: group.blocks,
          sha256: await hashBlocks(group.readFrom, group.size, group.blocks).catch(
            (error: unknown) => {
              throw profileReadError(group.path, group.readFrom, error)
            },
          ),
        })),
      ),
      removed: plan.removed,
    }
    const incremental = plan.kind === 'incremental'
    const manifest: Manifest = {
      format: 'cairn-backup',
      formatVersion: incremental ? INCREMENTAL_FORMAT_VERSION : ARCHIVE_FORMAT_VERSION,
      appVersion: APP_VERSION,
      schemaVersion: readUserVersion(mailbox?.path, profileFiles.database),
      profileId: request.profileId,
      createdAt: createdAt.toISOString(),
      keyFingerprint: request.keyFingerprint,
      files: incremental ? plan.files : hashed,
      chain,
    }
    const base = plan.previous[0]?.name ?? null
    const parent = plan.previous[plan.previous.length - 1] ?? null
    const describe = (output: { size: number; sha256: string }): Sidecar => ({
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
      kind: plan.kind,
      chainId: plan.chainId,
      chainIndex: plan.index,
      base,
      parent: parent?.name ?? null,
      parentSha256: parent?.sha256 ?? null,
    })

    // 4. tar → zstd → age → the destination, committed under its real name, then its sidecar.
    const attempts = Math.max(1, request.uploadAttempts ?? 3)
    let committed: CommittedBackup & { sha256: string }
    let attempt = 1
    for (; ; attempt++) {
      try {
        committed = await upload(destination, createdAt, recipient, manifest, kept, describe, {
          increment: incremental ? { removed: plan.removed, pages: pageGroups } : undefined,
          inThread: incremental && plan.carriedBytes <= SEAL_IN_THREAD_BYTES,
          signal,
          bandwidthLimit,
          onBytes: (done) => progress('writing', done),
        })
        break
      } catch (error) {
        if (signal?.aborted || attempt >= attempts || !isTransient(error)) throw error
        const wait = (request.retryDelayMs ?? defaultRetryDelay)(attempt)
        await new Promise((resolve) => setTimeout(resolve, wait))
        checkAborted(signal)
      }
    }
    if (attempt > 1)
      warnings.push(
        `The upload to ${destination.label} failed ${attempt - 1} time(s) on the way and was tried again.`,
      )

    // 6. The record of what this destination now holds, for the next incremental. A crash just
    // before leaves the record one link behind: the next run makes another link on the same
    // parent (a fork both of whose ends restore), or a full one when the policy says so.
    reachedStep('backup-committed')
    try {
      saveRecord(records, destination.label, request, plan, record, databases, {
        name: committed.name,
        createdAt: manifest.createdAt,
        sha256: committed.sha256,
        size: committed.size,
        identities: new Map(
          files.map((f, i) => [
            f.path,
            results[i] instanceof Error || racy.has(f.path) ? null : f.identity,
          ]),
        ),
      })
    } catch (error) {
      records.forget(destination.label)
      warnings.push(
        `The record of this backup could not be saved (${describeError(error)}): the next backup to ${destination.label} will be full.`,
      )
    }

    // 7. Retention, now that the new backup is complete. A failure here does not undo the backup.
    const deleted: string[] = []
    const keptForChains: BackupResult['keptForChains'] = []
    if (request.retention) {
      try {
        for (const entry of backupsToDelete(
          await destination.list(),
          request.profileId,
          request.retention,
          createdAt,
          (name, neededBy) => keptForChains.push({ name, neededBy }),
          // Known from this run and the profile's own record, not from sidecars anyone may edit.
          [committed.name, ...plan.previous.map((link) => link.name)],
        )) {
          if (entry.name === committed.name) continue
          try {
            await destination.remove(entry.name)
            deleted.push(entry.name)
          } catch (error) {
            warnings.push(
              `The old backup ${entry.name} could not be removed: ${describeError(error)}`,
            )
          }
        }
      } catch (error) {
        warnings.push(`Old backups were not pruned this time: ${describeError(error)}`)
      }
    }
    return {
      name: committed.name,
      path: destination.locate(committed.name),
      destination: destination.label,
      size: committed.size,
      sha256: committed.sha256,
      createdAt: manifest.createdAt,
      files: hashed.length - (secrets.bytes ? 1 : 0),
      bytes: bytesTotal,
      snapshot: snapshots[0]?.method ?? 'none',
      accountSecrets: secrets.count,
      warnings,
      deleted,
      attempts: attempt,
      kind: plan.kind,
      chainId: plan.chainId,
      chainIndex: plan.index,
      base: base ?? committed.name,
      fullReason: plan.reason,
      carriedBytes: plan.carriedBytes,
      keptForChains,
    }
  } catch (error) {
    throw describeFailure(error, destination.label, signal)
  } finally {
    for (const snapshot of snapshots) snapshot.release()
    if (owned) await destination.close().catch(() => undefined)
  }
}

/** A database the record of the last backup describes as it still is (see the reuse rule). */
function recordedScan(path: string, size: number, loaded: LoadedRecord): ScannedDatabase {
  const facts = loaded.record.databases.find((d) => d.path === path)
  return {
    path,
    size,
    pageSize: facts?.pageSize ?? 0,
    schemaCookie: facts?.schemaCookie ?? 0,
    hashes: loaded.blocks.get(path) ?? [],
  }
}

/** Full jitter: a random wait up to 2 s, 4 s, 8 s … (at most 30 s), so clients failing together come back apart. */
const defaultRetryDelay = (attempt: number) =>
  Math.random() * Math.min(30_000, 2_000 * 2 ** (attempt - 1))

/**
 * One pass of the archive into the destination: the tar stream (built
 * here, from the profile) is sealed in the seal worker, whose output flows
 * into the destination's upload; any failure on either side stops both and
 * drops the upload's temporary data.
 */
async function upload(
  destination: Destination,
  createdAt: Date,
  recipient: Uint8Array,
  manifest: Manifest,
  kept: ArchiveSource[],
  describe: (output: { size: number; sha256: string }) => Sidecar,
  options: {
    increment: IncrementEntries | undefined
    /** Seal on this thread (a link of at most SEAL_IN_THREAD_BYTES). */
    inThread: boolean
    signal?: AbortSignal
    bandwidthLimit: number | null
    onBytes: (n: number) => void
  },
): Promise<CommittedBackup & { sha256: string }> {
  const target = await destination.startBackup(createdAt, {
    ...(options.signal ? { signal: options.signal } : {}),
    bandwidthLimit: options.bandwidthLimit,
  })
  const stop = new AbortController()
  const onAbort = () => stop.abort(options.signal?.reason)
  options.signal?.addEventListener('abort', onAbort)
  let done = 0
  const archive = writeArchive(
    manifest,
    kept,
    (n) => options.onBytes((done += n)),
    options.increment,
  )
  // Compression, encryption and hashing run in a worker, beside the reading here; a small
  // link's, here (starting the worker took longer than sealing it).
  const sealed = options.inThread ? sealBackupInThread(recipient) : sealBackupStream(recipient)
  const stage = (flowing: Promise<void>) =>
    flowing.catch((error: unknown) => {
      stop.abort(error)
      throw error
    })
  try {
    await Promise.all([
      stage(pipeline(archive, sealed.sink, { signal: stop.signal })),
      stage(pipeline(sealed.output, target.stream, { signal: stop.signal })),
    ])
    const output = await sealed.result
    const committed = await target.commit(describe(output))
    return { ...committed, sha256: output.sha256 }
  } catch (error) {
    archive.destroy()
    sealed.output.destroy()
    await target.abort()
    // The first failure is the one to report (the other stage only saw the stop it caused).
    throw stop.signal.aborted && stop.signal.reason !== undefined && !options.signal?.aborted
      ? (stop.signal.reason as unknown)
      : error
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
  }
}

/** The Destination a request names, whether this run owns it (and closes it), and its speed limit. */
function openTarget(
  request: BackupRequest,
  secretStore: SecretStore,
): { destination: Destination; owned: boolean; bandwidthLimit: number | null } {
  const given = request.destination
  if (typeof given === 'object' && 'startBackup' in given)
    return { destination: given, owned: false, bandwidthLimit: request.bandwidthLimit ?? null }
  const spec = typeof given === 'string' ? resolveDestination(given) : given
  const secrets = destinationSecrets(secretStore, request.profileId)
  return {
    destination: openSpec(spec, secrets, request.env ? { env: request.env } : {}),
    owned: true,
    bandwidthLimit: request.bandwidthLimit ?? spec.entry?.bandwidthLimit ?? null,
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

async function snapshotOf(
  path: string,
  absolutePath: string,
  profileDir: string,
): Promise<SqliteSnapshot> {
  try {
    const folder = snapshotFolder(profileDir)
    return await snapshotSqlite(absolutePath, join(folder, path.replace(/\//g, '_')))
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

function describeFailure(error: unknown, label: string, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return new CairnError('BACKUP_CANCELLED', 'The backup was cancelled.')
  if (isCairnError(error)) return error
  // Reading the profile and the destinations report their own errors; anything left is writing the backup.
  const network = networkError(label, error)
  if (network) return network
  const code = errnoCode(error)
  return code
    ? new CairnError('BACKUP_DESTINATION', `Writing the backup to ${label} failed (${code}).`, {
        cause: error,
      })
    : error
}

/**
 * After a committed backup: the chain's links, every file (the secrets
 * entry aside: the record is plaintext) with the link holding it, and the
 * block hashes (all of them after a full, the delta after an incremental).
 */
function saveRecord(
  records: PageRecordStore,
  label: string,
  request: BackupRequest,
  plan: LinkPlan,
  previous: LoadedRecord | null,
  databases: ScannedDatabase[],
  committed: {
    name: string
    createdAt: string
    sha256: string
    size: number
    identities: Map<string, { ino: number; mtimeMs: number } | null>
  },
): void {
  const link = { name: committed.name, createdAt: committed.createdAt, sha256: committed.sha256 }
  const facts = (db: ScannedDatabase) => ({
    path: db.path,
    size: db.size,
    pageSize: db.pageSize,
    schemaCookie: db.schemaCookie,
  })
  const incremental = plan.kind === 'incremental' && previous !== null
  const order = incremental
    ? [
        ...previous.record.databases.map((d) => d.path),
        ...databases.map((d) => d.path).filter((p) => !previous.blocks.has(p)),
      ]
    : databases.map((d) => d.path)
  records.save(
    {
      profileId: request.profileId,
      keyFingerprint: request.keyFingerprint,
      destination: label,
      chainId: plan.chainId,
      links: [...plan.previous, link],
      fullSize: incremental ? previous.record.fullSize : committed.size,
      files: plan.files
        .filter((f) => f.path !== SECRETS_NAME)
        .map((f) => {
          const identity = committed.identities.get(f.path)
          return {
            path: f.path,
            size: f.size,
            sha256: f.sha256,
            link: f.link ?? plan.index,
            ...(identity ? { ino: identity.ino, mtimeMs: identity.mtimeMs } : {}),
          }
        }),
      databases: order.map((path) =>
        facts(databases.find((d) => d.path === path) as ScannedDatabase),
      ),
    },
    plan.recordChanges,
    !incremental,
  )
}

import { osKeychain, type SecretStore } from '../../keychain/keychain.js'
import { profilePaths } from '../../profile/layout.js'
import { isCairnError } from '../../shared/errors.js'
import { reachedStep } from '../../shared/test-hooks.js'
import type { Manifest } from '../archive/manifest.js'
import type { BackupSettings } from '../backup-settings.js'
import type { BackupSource } from '../destination/backup-source.js'
import type { DestinationBackup } from '../destination/destination.js'
import { parseBackupName } from '../destination/names.js'
import { openBackupSource } from '../destination/resolve.js'
import type { Sidecar } from '../destination/sidecar.js'
import type { BackupKey } from '../key/backup-key.js'
import {
  checkSecretsAgainstAccounts,
  parseSecretsEntry,
  unvouchedAccounts,
  type SecretsEntry,
} from '../secrets-entry.js'
import { checkFreeSpace, checkManifestGivesProfile, checkUnpackedProfile } from './check-profile.js'
import { describeLive, makeStaging, removeStaging } from './live-profile.js'
import { recoverInterruptedRestore, type SwapStep } from './recover.js'
import { checkProfilePath, resolveProfilePath, restoreNames } from './profile-path.js'
import { describeRestoreFailure } from './restore-errors.js'
import { unpackAny } from '../chain/unpack-chain.js'

export interface RestoreRequest {
  /** The backup: a path, or a URL naming one backup in a destination (see openBackupSource). */
  file: string
  /** The backup, already opened (a named destination's settings and secrets); else `file` is opened. */
  source?: BackupSource
  key: BackupKey
  profileDir: string
  /** Where the key came from, for a new profile's backup settings (default: kept by the user). */
  keyCustody?: BackupSettings['custody']
  /** Where account secrets go back (default: the OS keychain). */
  secretStore?: SecretStore
  onProgress?: (progress: { bytesDone: number; bytesTotal: number }) => void
  /** Test hook: called between steps, to look at or interrupt a restore at a chosen point. */
  onStep?: (step: RestoreStep) => void
  /**
   * Read and check the backup in a worker thread (the app: its window must
   * not stutter while a large backup is read). Ignored with `source` or
   * `onStep`, which cannot cross to a thread.
   */
  offThread?: boolean
}

/** The swap's own steps, after the backup was unpacked into staging. */
export type RestoreStep = 'unpacked' | SwapStep

/** What the restore would replace, and with what: for the user to see before saying yes. */
export interface RestoreSummary {
  backup: {
    file: string
    createdAt: string
    profileId: string
    keyFingerprint: string
    appVersion: string
    schemaVersion: number
    files: number
    bytes: number
    messages: number
    accountSecrets: number
  }
  live: {
    profileDir: string
    exists: boolean
    profileId: string | null
    messages: number | null
    /** No mail, no chat messages, no accounts that sync: nothing a restore could lose. */
    empty: boolean
    /** When the live profile's newest backup was made (its own record). */
    newestBackupAt: string | null
  }
}

/**
 * What needs the user's yes before the swap (in the CLI `--force`; in the
 * app a dialog showing the summary and these messages).
 */
export type ConfirmationKind =
  'metadata-mismatch' | 'older-than-newest-backup' | 'other-profile' | 'secrets-not-restorable'

export interface Confirmation {
  kind: ConfirmationKind
  message: string
}

/** A verified backup, unpacked beside the profile, waiting for execute() (restore.ts) or discard(). */
export interface StagedRestore {
  readonly request: RestoreRequest
  readonly profileDir: string
  readonly staging: string
  readonly stamp: string
  readonly manifest: Manifest
  readonly secrets: SecretsEntry | null
  /** Restored accounts whose settings the replaced profile lacks: no saved secret carries over to them. */
  readonly unvouchedAccounts: readonly number[]
  readonly summary: RestoreSummary
  readonly confirmations: Confirmation[]
  readonly secretStore: SecretStore
}

/**
 * Restore, part one: decrypt, check and unpack the backup into a staging
 * folder beside the profile, without touching the profile, and say what
 * the swap would change and what needs confirming. Refused here (the
 * staging folder removed): a wrong key, a damaged or hostile archive, one
 * that would not give a working profile (see check-profile.ts), one that
 * does not fit on the disk.
 */
export async function stageRestore(request: RestoreRequest): Promise<StagedRestore> {
  const secretStore = request.secretStore ?? osKeychain()
  const staged = await unpackToStaging(request, (data) => ({
    ...data,
    request,
    secretStore,
    confirmations: [...data.confirmations, ...keychainProblem(data.secrets, secretStore)],
  }))
  return staged
}

/** What staging leaves for the swap, as plain data (it crosses from the stage worker, stage-worker.ts). */
export type StagedData = Omit<StagedRestore, 'request' | 'secretStore'>

/**
 * The heavy part of stageRestore, which needs neither the keychain nor the
 * caller's callbacks beyond progress: it can run in a worker thread. `finish`
 * completes the result while the staging folder is still removed on failure
 * (the keychain check, in the calling thread).
 */
export async function unpackToStaging<T = StagedData>(
  request: RestoreRequest,
  finish: (data: StagedData) => T = (data) => data as T,
): Promise<T> {
  const profileDir = resolveProfilePath(request.profileDir)
  try {
    checkProfilePath(profileDir)
    recoverInterruptedRestore(profileDir)
  } catch (error) {
    throw describeRestoreFailure(error, profileDir)
  }
  const names = restoreNames(profileDir)
  const stamp = new Date().toISOString().replace(/[-:.]/g, '')
  const staging = names.staging(stamp)
  let secretsBytes: Buffer | null = null
  const source = request.source ?? openBackupSource(request.file)
  let madeStaging = false
  try {
    // The sidecar and the other backups are asked for while the backup is
    // checked and read: on a remote destination each is a round trip.
    const sidecarRead = source.readSidecar()
    const siblingsRead = source.siblings()
    sidecarRead.catch(() => undefined)
    siblingsRead.catch(() => undefined)
    await source.stat()
    const sidecar = await sidecarRead
    makeStaging(profileDir, staging)
    madeStaging = true
    let bytesTotal = 0
    let bytesDone = 0
    const manifest = await unpackAny({
      source,
      key: request.key,
      targetDir: staging,
      databaseCheck: 'structure',
      expectedFingerprint: sidecar?.keyFingerprint ?? null,
      sidecar,
      flushEarly: true,
      onManifest: (m) => {
        checkManifestGivesProfile(m)
        checkFreeSpace(names.parent, m)
        bytesTotal = m.files.reduce((sum, f) => sum + f.size, 0)
      },
      onSecrets: (bytes) => (secretsBytes = bytes),
      onBytes: (n) => {
        bytesDone += n
        request.onProgress?.({ bytesDone, bytesTotal })
      },
    })
    const unpacked = checkUnpackedProfile(staging, manifest)
    const secrets = secretsBytes ? parseSecretsEntry(secretsBytes, manifest.profileId) : null
    if (secrets) checkSecretsAgainstAccounts(secrets, unpacked.accounts)
    const summary: RestoreSummary = {
      backup: {
        file: request.file,
        createdAt: manifest.createdAt,
        profileId: manifest.profileId,
        keyFingerprint: request.key.fingerprint,
        appVersion: manifest.appVersion,
        schemaVersion: manifest.schemaVersion,
        files: manifest.files.length - (secrets ? 1 : 0),
        bytes: bytesTotal,
        messages: unpacked.messages,
        accountSecrets: secrets?.secrets.length ?? 0,
      },
      live: describeLive(profileDir),
    }
    const staged = finish({
      profileDir,
      staging,
      stamp,
      manifest,
      secrets,
      unvouchedAccounts: unvouchedAccounts(
        profilePaths(staging).database,
        summary.live.profileId === manifest.profileId ? profilePaths(profileDir).database : null,
      ),
      summary,
      confirmations: [
        ...metadataMismatch(source.name, sidecar, manifest, request.key),
        ...timeTravel(source.name, await siblingsRead, manifest, summary.live),
        ...otherProfile(manifest, summary.live),
      ],
    })
    reachedStep('unpacked')
    request.onStep?.('unpacked')
    return staged
  } catch (error) {
    if (madeStaging) removeStaging(staging)
    throw describeRestoreFailure(error, profileDir)
  } finally {
    if (!request.source) await source.close()
  }
}

/** The file name and sidecar are plaintext anyone can edit: they must agree with the encrypted contents. */
export function metadataMismatch(
  name: string,
  sidecar: Sidecar | null,
  manifest: Manifest,
  key: BackupKey,
): Confirmation[] {
  const reasons: string[] = []
  const made = new Date(manifest.createdAt)
  const named = parseBackupName(name)
  if (named && Math.floor(made.getTime() / 1000) !== named.getTime() / 1000) {
    reasons.push(
      `its file name says it was made on ${named.toISOString()}, but its contents were made on ${manifest.createdAt}`,
    )
  }
  if (sidecar) {
    if (sidecar.createdAt !== manifest.createdAt)
      reasons.push(
        `its sidecar says it was made on ${sidecar.createdAt}, but its contents were made on ${manifest.createdAt}`,
      )
    if (sidecar.profileId !== manifest.profileId)
      reasons.push(
        `its sidecar names profile ${sidecar.profileId}, but its contents are profile ${manifest.profileId}`,
      )
    if (sidecar.keyFingerprint !== key.fingerprint)
      reasons.push(
        `its sidecar names key ${sidecar.keyFingerprint}, but it opened with key ${key.fingerprint}`,
      )
  }
  if (manifest.keyFingerprint && manifest.keyFingerprint !== key.fingerprint)
    reasons.push(
      `its contents say they were encrypted to key ${manifest.keyFingerprint}, but they opened with key ${key.fingerprint}`,
    )
  if (reasons.length === 0) return []
  return [
    {
      kind: 'metadata-mismatch',
      message: `This backup is not what it says it is: ${reasons.join('; ')}. It was renamed or its description edited after it was made.`,
    },
  ]
}

/** Going back in time: the live profile (or the backup folder) knows a newer backup of this profile. */
function timeTravel(
  name: string,
  siblings: readonly DestinationBackup[],
  manifest: Manifest,
  live: RestoreSummary['live'],
): Confirmation[] {
  const made = new Date(manifest.createdAt).getTime()
  const newer: string[] = []
  if (live.profileId === manifest.profileId && live.newestBackupAt) {
    if (new Date(live.newestBackupAt).getTime() > made)
      newer.push(`this profile's newest backup was made on ${live.newestBackupAt}`)
  }
  let inFolder: { name: string; createdAt: string } | null = null
  for (const entry of siblings) {
    const sidecar = entry.sidecar
    if (!sidecar || !entry.complete || entry.name === name) continue
    if (sidecar.profileId !== manifest.profileId) continue
    if (
      new Date(sidecar.createdAt).getTime() > made &&
      (!inFolder || sidecar.createdAt > inFolder.createdAt)
    )
      inFolder = { name: entry.name, createdAt: sidecar.createdAt }
  }
  if (inFolder)
    newer.push(
      `a newer backup of this profile is in the same folder (${inFolder.name}, made on ${inFolder.createdAt})`,
    )
  if (newer.length === 0) return []
  return [
    {
      kind: 'older-than-newest-backup',
      message: `This backup was made on ${manifest.createdAt}, but ${newer.join(', and ')}: restoring it loses everything since.`,
    },
  ]
}

/** Another profile's backup over one that holds something (a profile made just to hold the key does not ask). */
function otherProfile(manifest: Manifest, live: RestoreSummary['live']): Confirmation[] {
  if (!live.exists || live.empty || !live.profileId || live.profileId === manifest.profileId)
    return []
  return [
    {
      kind: 'other-profile',
      message: `This backup is of another profile (${manifest.profileId}) than the one it would replace (${live.profileId}): that profile's mail, settings and accounts would take this one's place.`,
    },
  ]
}

/** Secrets that cannot go back into the keychain would be lost: ask first. */
export function keychainProblem(secrets: SecretsEntry | null, store: SecretStore): Confirmation[] {
  if (!secrets || secrets.secrets.length === 0) return []
  try {
    store.get('cairn-keychain-check')
    return []
  } catch (error) {
    if (!isCairnError(error, 'KEYCHAIN_UNAVAILABLE')) throw error
    return [
      {
        kind: 'secrets-not-restorable',
        message: `This backup holds ${secrets.secrets.length} account password(s), but ${lowerFirst(error.message.replace(/\.$/, ''))}: restored now, the accounts will ask for their passwords again.`,
      },
    ]
  }
}

/** Remove a staged restore that will not be swapped in. */
export function discardStaged(staged: StagedRestore): void {
  removeStaging(staged.staging)
}

const lowerFirst = (text: string) => text.charAt(0).toLowerCase() + text.slice(1)

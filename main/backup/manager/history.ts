import { join } from 'node:path'
import { CairnError } from '../../shared/errors.js'
import type { Destination, DestinationBackup } from '../destination/destination.js'
import { FolderDestination } from '../destination/folder/folder-destination.js'
import { parseBackupName } from '../destination/names.js'
import type { BackupKey } from '../key/backup-key.js'
import { verifyBackup, type VerifyReport } from '../verify.js'

/** One backup in the history list, as the screens show it. */
export interface HistoryEntry {
  name: string
  /** Where it is, for display and for the restore wizard (a file path for a folder). */
  location: string
  createdAt: string
  size: number
  profileId: string | null
  keyFingerprint: string | null
  vaultId: string | null
  /**
   * complete: its sidecar names it with its exact size; incomplete: no
   * sidecar or one that does not match (listed, never pruned, verify says more).
   */
  state: 'complete' | 'incomplete'
  thisProfile: boolean
  /** Made with the profile's current key. */
  currentKey: boolean
  /** Full, or a link of a chain (from its sidecar; a backup made before chains is full). */
  kind: 'full' | 'incremental'
  chainId: string | null
  chainIndex: number
  /** The later links of its chain in this destination that need it (it cannot be deleted alone). */
  neededBy: string[]
}

/**
 * The destination backups are written to and read from. Today a folder;
 * the kinds the Destination interface knows (S3, WebDAV, SFTP) plug in
 * here when the settings name one.
 */
export function destinationFor(folder: string): Destination {
  return new FolderDestination(folder)
}

/** The backups in a destination, newest first, marked for this profile and its key. */
export async function listHistory(
  destination: Destination,
  folder: string,
  profile: { id: string; fingerprint: string | null },
): Promise<HistoryEntry[]> {
  const backups = await destination.list()
  return backups
    .map((b) => toEntry(b, folder, profile, backups))
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))
}

function toEntry(
  b: DestinationBackup,
  folder: string,
  profile: { id: string; fingerprint: string | null },
  all: readonly DestinationBackup[],
): HistoryEntry {
  return {
    kind: b.sidecar?.kind ?? 'full',
    chainId: b.sidecar?.chainId ?? null,
    chainIndex: b.sidecar?.chainIndex ?? 0,
    neededBy: dependents(b.name, all),
    name: b.name,
    location: join(folder, b.name),
    createdAt: b.createdAt.toISOString(),
    size: b.size,
    profileId: b.sidecar?.profileId ?? null,
    keyFingerprint: b.sidecar?.keyFingerprint ?? null,
    vaultId: b.sidecar?.vaultId ?? null,
    state: b.complete ? 'complete' : 'incomplete',
    thisProfile: b.sidecar?.profileId === profile.id,
    currentKey: b.sidecar !== null && b.sidecar.keyFingerprint === profile.fingerprint,
  }
}

/** A backup name from the renderer: only Cairn's own names, nothing that could leave the folder. */
export function checkBackupName(name: string): string {
  if (!parseBackupName(name))
    throw new CairnError('INVALID_ARGUMENT', `"${name.slice(0, 80)}" is not a Cairn backup name.`)
  return name
}

export interface VerifyOutcome {
  level: 'integrity' | 'full'
  /** In words: what was checked and what it showed. */
  message: string
  report: VerifyReport
}

/**
 * Verify one backup of a folder: without a key, that it is intact (its size
 * and SHA-256 match its sidecar); with the key, that it restores (what a
 * restore checks before it changes anything). Failures are CairnErrors
 * whose message says what is wrong.
 */
export async function verifyHistoryEntry(
  folder: string,
  name: string,
  key: BackupKey | null,
): Promise<VerifyOutcome> {
  const report = await verifyBackup(join(folder, checkBackupName(name)), key ?? undefined)
  return {
    level: report.level,
    report,
    message:
      report.level === 'full'
        ? `Restorable: it opens with your key and holds ${report.messages ?? 0} messages in ${report.files ?? 0} files; every file and database checks out.`
        : 'Intact: it is exactly the file that was written (size and SHA-256 match). Check it with the key to know it restores.',
  }
}

/** The later links of a chain that need backup `name`: its children, theirs, and so on. */
export function dependents(name: string, all: readonly DestinationBackup[]): string[] {
  const out: string[] = []
  const chainId = all.find((b) => b.name === name)?.sidecar?.chainId
  if (!chainId) return out
  let frontier = [name]
  while (frontier.length > 0) {
    const next = all
      .filter(
        (b) =>
          b.sidecar?.chainId === chainId && b.sidecar.parent && frontier.includes(b.sidecar.parent),
      )
      .map((b) => b.name)
      .filter((n) => !out.includes(n))
    out.push(...next)
    frontier = next
  }
  return out
}

/**
 * Delete one backup and its sidecar (the caller has asked the user). A link
 * that later links of its chain need is not deleted: they could no longer
 * be restored.
 */
export async function deleteHistoryEntry(destination: Destination, name: string): Promise<void> {
  const needed = dependents(checkBackupName(name), await destination.list())
  if (needed.length > 0)
    throw new CairnError(
      'INVALID_ARGUMENT',
      `${name} is a link of a backup chain that ${needed.length} later backup(s) need (${needed[0]}${needed.length > 1 ? ', …' : ''}): ` +
        'deleted, they could no longer be restored. Delete the later ones first, or leave it to retention, which deletes whole chains.',
    )
  await destination.remove(name)
}

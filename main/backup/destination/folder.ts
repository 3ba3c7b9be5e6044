import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  linkSync,
  lstatSync,
  openSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs'
import { join, relative, resolve, sep, isAbsolute } from 'node:path'
import { fsyncDirectorySync } from '../../shared/atomic-file.js'
import { CairnError, errnoCode } from '../../shared/errors.js'
import { processAlive } from '../../shared/process-alive.js'
import {
  backupName,
  hostTag,
  parseBackupName,
  parsePartialName,
  pendingSidecarName,
  sidecarName,
} from './names.js'
import { readSidecar, writeSidecar, type Sidecar } from './sidecar.js'

/** A backup found in a destination folder. */
export interface BackupEntry {
  name: string
  path: string
  createdAt: Date
  size: number
  /** Null when the sidecar is missing or unreadable: such a backup is never deleted by retention. */
  sidecar: Sidecar | null
}

/**
 * Check that the destination folder can take a backup now, with a message
 * that says what to do when it cannot.
 */
export function checkDestination(dir: string): void {
  let stats
  try {
    stats = statSync(dir)
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') {
      throw new CairnError(
        'BACKUP_DESTINATION',
        `The backup folder ${dir} does not exist. If it is on a removable or network drive, connect it; otherwise choose another folder.`,
      )
    }
    throw destinationError(dir, error)
  }
  if (!stats.isDirectory())
    throw new CairnError('BACKUP_DESTINATION', `The backup destination ${dir} is not a folder.`)
  try {
    accessSync(dir, constants.W_OK)
  } catch (error) {
    throw destinationError(dir, error)
  }
}

/**
 * Refuse a backup folder inside the profile (or the profile itself): every
 * backup would carry all the earlier ones, doubling in size each time, and
 * would be lost with the profile it is meant to save. Symbolic links are
 * resolved on both sides.
 */
export function checkDestinationOutsideProfile(dest: string, profileDir: string): void {
  const real = (path: string) => {
    try {
      return realpathSync(path)
    } catch {
      return resolve(path)
    }
  }
  const inside = relative(real(profileDir), real(dest))
  if (inside === '' || (!inside.startsWith('..') && !isAbsolute(inside))) {
    throw new CairnError(
      'BACKUP_DESTINATION',
      `The backup folder ${dest} is inside the profile folder ${profileDir}: each backup would carry all the earlier ones, ` +
        'and they would be lost together with the profile. Choose a folder outside the profile (ideally on another drive).',
    )
  }
}

export function destinationError(dir: string, error: unknown): CairnError {
  const code = errnoCode(error)
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new CairnError(
      'DISK_FULL',
      `The backup folder ${dir} is full. The unfinished backup was removed and older backups are untouched; free some space or choose another folder.`,
      { cause: error },
    )
  }
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
    return new CairnError(
      'BACKUP_DESTINATION',
      `Cairn cannot write to the backup folder ${dir} (it is read-only or you lack permission). Choose another folder or fix its permissions.`,
      { cause: error },
    )
  }
  if (code === 'ENOENT') {
    return new CairnError(
      'BACKUP_DESTINATION',
      `The backup folder ${dir} disappeared during the backup (a drive was disconnected?).`,
      {
        cause: error,
      },
    )
  }
  return new CairnError(
    'BACKUP_DESTINATION',
    `Writing to the backup folder ${dir} failed (${code ?? String(error)}).`,
    {
      cause: error,
    },
  )
}

/** Cairn's backups in `dir`, oldest first. Files that do not follow Cairn's naming are ignored. */
export function listBackups(dir: string): BackupEntry[] {
  const entries: BackupEntry[] = []
  for (const name of readdirSync(dir)) {
    const createdAt = parseBackupName(name)
    if (!createdAt) continue
    const path = insideDestination(dir, name)
    let size: number
    try {
      const stats = statSync(path)
      if (!stats.isFile()) continue
      size = stats.size
    } catch {
      continue
    }
    entries.push({
      name,
      path,
      createdAt,
      size,
      sidecar: readSidecar(join(dir, sidecarName(name))),
    })
  }
  return entries.sort(
    (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.name < b.name ? -1 : 1),
  )
}

/**
 * Give a finished partial file its real name, without ever replacing
 * another backup: the name is claimed with an exclusive hard link (which
 * fails if the name exists, unlike a rename), and a name already taken (two
 * profiles backing up into one folder in the same second) moves on to
 * <time>-1, <time>-2 … The partial name stays linked until the caller has
 * written the sidecar, so a crash in between can be completed later (see
 * removeStalePartials). On a filesystem without hard links the name is
 * claimed by creating it exclusively, then the partial file is renamed over
 * that placeholder, which is ours alone.
 */
export function claimBackupName(
  dir: string,
  partialPath: string,
  createdAt: Date,
): { name: string; path: string; linked: boolean } {
  for (let sequence = 0; sequence < 10_000; sequence++) {
    const name = backupName(createdAt, sequence)
    const path = insideDestination(dir, name)
    // An orphaned sidecar would describe another file: leave its name alone too.
    if (existsSync(insideDestination(dir, sidecarName(name)))) continue
    try {
      linkSync(partialPath, path)
      fsyncDirectorySync(dir)
      return { name, path, linked: true }
    } catch (error) {
      const code = errnoCode(error)
      if (code === 'EEXIST') continue
      if (!LINK_UNSUPPORTED.has(code ?? '')) throw error
    }
    try {
      closeSync(openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600))
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') continue
      throw error
    }
    renameSync(partialPath, path)
    fsyncDirectorySync(dir)
    return { name, path, linked: false }
  }
  throw new CairnError(
    'BACKUP_DESTINATION',
    `The backup folder ${dir} has no free backup name left for ${createdAt.toISOString()}.`,
  )
}

/** Errors of link(2) on filesystems that have no hard links (FAT, some network and FUSE filesystems). */
const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK', 'EXDEV'])

/**
 * Clean up after runs that crashed. A partial file names the process that
 * writes it: on this machine it is stale when that process is gone; one from
 * another machine (a synced folder) when untouched for a day. A stale
 * partial file that had already been given its real name (a crash between
 * naming it and writing its sidecar) is completed: its waiting sidecar is
 * put in place, so the backup is listed as complete. Every other stale
 * partial file is removed. Returns the names removed.
 */
export function removeStalePartials(dir: string, now = Date.now()): string[] {
  const removed: string[] = []
  const myHost = hostTag()
  const names = readdirSync(dir)
  // Partial files before waiting sidecars: completing a backup needs its sidecar still there.
  const ordered = [...names].sort(
    (a, b) => Number(a.endsWith('.json')) - Number(b.endsWith('.json')),
  )
  for (const name of ordered) {
    const partial = parsePartialName(name)
    if (!partial) continue
    const path = insideDestination(dir, name)
    let stale: boolean
    if (partial.host === myHost) stale = !processAlive(partial.pid)
    else {
      try {
        stale = now - statSync(path).mtimeMs > 24 * 3600 * 1000
      } catch {
        continue
      }
    }
    if (!stale) continue
    if (!partial.pendingSidecar) completeClaimedBackup(dir, path, names)
    rmSync(path, { force: true })
    removed.push(name)
  }
  return removed
}

/** If `partialPath` is also linked under a real backup name, give that backup its sidecar. */
function completeClaimedBackup(dir: string, partialPath: string, names: readonly string[]): void {
  let partial
  try {
    partial = lstatSync(partialPath)
  } catch {
    return
  }
  if (partial.nlink < 2) return
  const claimed = names.find((candidate) => {
    if (!parseBackupName(candidate)) return false
    try {
      const stats = lstatSync(join(dir, candidate))
      return stats.ino === partial.ino && stats.dev === partial.dev
    } catch {
      return false
    }
  })
  if (!claimed) return
  const sidecarPath = insideDestination(dir, sidecarName(claimed))
  const pending = readSidecar(pendingSidecarName(partialPath))
  if (!existsSync(sidecarPath) && pending && pending.size === partial.size)
    writeSidecar(sidecarPath, { ...pending, file: claimed })
}

/** The path of `name` in `dir`, refusing anything that would resolve outside it. */
export function insideDestination(dir: string, name: string): string {
  const root = resolve(dir)
  const path = resolve(root, name)
  if (!path.startsWith(root + sep) || name.includes('/') || name.includes('\\')) {
    throw new Error(`Refusing a path outside the backup folder: ${name}`)
  }
  return path
}

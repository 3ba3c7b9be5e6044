import { accessSync, constants, readdirSync, rmSync, statSync } from 'node:fs'
import { join, resolve, sep } from 'node:path'
import { CairnError, errnoCode } from '../../shared/errors.js'
import { processAlive } from '../../shared/process-alive.js'
import { hostTag, parseBackupName, parsePartialName, sidecarName } from './names.js'
import { readSidecar, type Sidecar } from './sidecar.js'

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
 * Remove partial files that crashed runs left behind. A partial file names
 * the process that writes it: on this machine it is removed when that process
 * is gone; one from another machine (a synced folder) only when untouched for
 * a day. Returns the names removed.
 */
export function removeStalePartials(dir: string, now = Date.now()): string[] {
  const removed: string[] = []
  const myHost = hostTag()
  for (const name of readdirSync(dir)) {
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
    if (stale) {
      rmSync(path, { force: true })
      removed.push(name)
    }
  }
  return removed
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

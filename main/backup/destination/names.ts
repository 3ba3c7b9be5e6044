import { createHash, randomBytes } from 'node:crypto'
import { hostname } from 'node:os'

/**
 * Backup file names: cairn-backup-20261127T051500Z.tar.zst.age (with -1,
 * -2 … when that second is taken), its sidecar <name>.json, and while it is
 * written <name>.<pid>-<host tag>.<random>.partial (and the sidecar waiting for it,
 * <that>.json), so that a later run can tell a partial file left by a crash
 * from one still being written by a live process.
 */
const BACKUP_NAME = /^cairn-backup-(\d{8}T\d{6}Z)(?:-(\d+))?\.tar\.zst\.age$/
const PARTIAL_NAME =
  /^(cairn-backup-\d{8}T\d{6}Z(?:-\d+)?\.tar\.zst\.age)\.(\d+)-([0-9a-f]{8})(?:\.[0-9a-f]{8})?\.partial(\.json)?$/

export function backupName(date: Date, sequence = 0): string {
  const stamp = date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')
  return `cairn-backup-${stamp}${sequence > 0 ? `-${sequence}` : ''}.tar.zst.age`
}

export function sidecarName(name: string): string {
  return `${name}.json`
}

/** When a backup was made, from its name; null for a name that is not Cairn's. */
export function parseBackupName(name: string): Date | null {
  const match = BACKUP_NAME.exec(name)
  if (!match) return null
  const s = match[1] as string
  const date = new Date(
    `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}Z`,
  )
  return Number.isNaN(date.getTime()) ? null : date
}

/**
 * Oldest first: by the second in the name, then by its sequence (-1, -2 …
 * were made later in that second; plain text order puts "-1" before none).
 */
export function compareBackupNames(a: string, b: string): number {
  const seq = (name: string) => Number(BACKUP_NAME.exec(name)?.[2] ?? 0)
  const at = (name: string) => parseBackupName(name)?.getTime() ?? 0
  return at(a) - at(b) || seq(a) - seq(b) || (a < b ? -1 : a > b ? 1 : 0)
}

export const hostTag = (): string =>
  createHash('sha256').update(hostname()).digest('hex').slice(0, 8)

/** Unique per run, also for two backups of one process in the same second. */
export function partialName(name: string): string {
  return `${name}.${process.pid}-${hostTag()}.${randomBytes(4).toString('hex')}.partial`
}

/** The sidecar written before a partial file is given its real name (crash recovery completes it). */
export function pendingSidecarName(partial: string): string {
  return `${partial}.json`
}

export function parsePartialName(
  name: string,
): { backup: string; pid: number; host: string; pendingSidecar: boolean } | null {
  const match = PARTIAL_NAME.exec(name)
  return match
    ? {
        backup: match[1] as string,
        pid: Number(match[2]),
        host: match[3] as string,
        pendingSidecar: match[4] !== undefined,
      }
    : null
}

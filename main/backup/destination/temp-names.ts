import { parseBackupName, parsePartialName, sidecarName } from './names.js'

/**
 * Names a writer uses before a backup is committed, shared by every
 * destination: the data goes to <name>.<pid>-<host tag>.partial (names.ts),
 * and just before the commit its sidecar waits beside it as
 * <that partial>.json, so that a crash between the commit and the real
 * sidecar can be completed by the next run.
 */
export function pendingSidecarOf(partial: string): string {
  return `${partial}.json`
}

export type TempName =
  | { kind: 'partial'; name: string; backup: string; pid: number; host: string }
  | {
      kind: 'pending-sidecar'
      name: string
      backup: string
      pid: number
      host: string
      partial: string
    }

/** What a temporary name in a listing is, or null when it is not one of Cairn's. */
export function parseTempName(name: string): TempName | null {
  if (name.endsWith('.partial.json')) {
    const partial = name.slice(0, -'.json'.length)
    const parsed = parsePartialName(partial)
    return parsed ? { kind: 'pending-sidecar', name, partial, ...parsed } : null
  }
  const parsed = parsePartialName(name)
  return parsed ? { kind: 'partial', name, ...parsed } : null
}

/** A backup's name or its sidecar's: the only names a destination lists, reads or removes. */
export function isCairnName(name: string): boolean {
  if (parseBackupName(name)) return true
  return name.endsWith('.json') && parseBackupName(name.slice(0, -'.json'.length)) !== null
}

export { sidecarName }

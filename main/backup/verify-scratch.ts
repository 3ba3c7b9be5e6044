import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { processAlive } from '../shared/process-alive.js'

/**
 * A private folder (0700) for the databases a verify must write out to let
 * SQLite check them. Its name carries the process id, so a verify that was
 * killed leaves nothing behind for long: the next verify removes the
 * folders of processes that are gone.
 */
export function verifyScratch(): string {
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

export function removeScratch(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

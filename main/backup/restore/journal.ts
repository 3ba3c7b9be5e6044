import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { hostname } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { z } from 'zod'
import { writeFileAtomicSync } from '../../shared/atomic-file.js'
import { errnoCode } from '../../shared/errors.js'
import { processAlive } from '../../shared/process-alive.js'

/**
 * The small record that makes the profile swap of a restore crash-safe. It
 * lives beside the profile folder (same filesystem) and names the three
 * folders involved: the staging folder holding the verified restore, the
 * live profile, and where the live profile goes aside.
 */
export const journalSchema = z.object({
  version: z.literal(1),
  state: z.enum(['prepared', 'swapping', 'swapped']),
  profile: z.string(),
  staging: z.string(),
  previous: z.string(),
  /** Whether a profile existed before (a restore on a new machine has none to put aside). */
  hadProfile: z.boolean(),
  pid: z.number().int(),
  host: z.string(),
  startedAt: z.string(),
})

export type RestoreJournal = z.infer<typeof journalSchema>

export function restorePaths(profileDir: string, stamp: string) {
  const parent = dirname(profileDir)
  const base = basename(profileDir)
  return {
    journal: journalPath(profileDir),
    staging: join(parent, `.${base}.restore-${process.pid}-${stamp}`),
    previous: join(parent, `${base}.pre-restore-${stamp}`),
  }
}

export function journalPath(profileDir: string): string {
  return join(dirname(profileDir), `.${basename(profileDir)}.restore-journal.json`)
}

export function readJournal(profileDir: string): RestoreJournal | null {
  let text: string
  try {
    text = readFileSync(journalPath(profileDir), 'utf8')
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null
    throw error
  }
  try {
    return journalSchema.parse(JSON.parse(text))
  } catch {
    // A journal is written atomically; an unreadable one cannot name folders to touch.
    return null
  }
}

export function writeJournal(profileDir: string, journal: RestoreJournal): void {
  writeFileAtomicSync(journalPath(profileDir), JSON.stringify(journal, null, 2))
}

export function removeJournal(profileDir: string): void {
  rmSync(journalPath(profileDir), { force: true })
}

/** Staging folders of restores whose process is gone (they never reached the swap). */
export function staleStagingFolders(profileDir: string): string[] {
  const parent = dirname(profileDir)
  const prefix = `.${basename(profileDir)}.restore-`
  let names: string[]
  try {
    names = readdirSync(parent)
  } catch {
    return []
  }
  return names
    .filter((name) => name.startsWith(prefix) && !name.endsWith('.json'))
    .filter((name) => {
      const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1])
      return Number.isFinite(pid) && !processAlive(pid)
    })
    .map((name) => join(parent, name))
}

export function ownerAlive(journal: RestoreJournal): boolean {
  return journal.host === hostname() && processAlive(journal.pid)
}

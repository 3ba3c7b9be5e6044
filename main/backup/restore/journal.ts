import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { hostname } from 'node:os'
import { basename, join } from 'node:path'
import { z } from 'zod'
import { writeFileAtomicSync } from '../../shared/atomic-file.js'
import { errnoCode } from '../../shared/errors.js'
import { processAlive } from '../../shared/process-alive.js'
import { restoreNames } from './profile-path.js'

/**
 * The small record that makes the profile swap of a restore crash-safe. It
 * lives beside the profile folder (same filesystem) and names the folders
 * involved: the staging folder holding the verified restore, the live
 * profile, where the live profile goes aside, and where a restored profile
 * that fails to open goes while the previous one is put back.
 *
 *   prepared → swapping → swapped → completing            (kept)
 *                                 → rolling-back          (put back)
 *
 * Each state names what the next start must finish; every step is a rename
 * that can be told done or not done from what exists (see recover.ts).
 */
export const journalSchema = z.object({
  version: z.union([z.literal(1), z.literal(2)]),
  state: z.enum(['prepared', 'swapping', 'swapped', 'completing', 'rolling-back']),
  profile: z.string(),
  staging: z.string(),
  previous: z.string(),
  /** Where a restored profile that does not open is moved while the previous one is put back. */
  failed: z.string().optional(),
  /** Whether a profile existed before (a restore on a new machine has none to put aside). */
  hadProfile: z.boolean(),
  pid: z.number().int(),
  host: z.string(),
  startedAt: z.string(),
})

export type RestoreJournal = z.infer<typeof journalSchema>

export function journalPath(profileDir: string): string {
  return restoreNames(profileDir).journal
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

export function writeJournal(profileDir: string, journal: RestoreJournal): RestoreJournal {
  writeFileAtomicSync(journalPath(profileDir), JSON.stringify(journal, null, 2))
  return journal
}

export function removeJournal(profileDir: string): void {
  rmSync(journalPath(profileDir), { force: true })
}

/** Staging folders of restores whose process is gone (they never reached the swap). */
export function staleStagingFolders(profileDir: string): string[] {
  const { parent, stagingPrefix } = restoreNames(profileDir)
  return leftBehind(parent, stagingPrefix).filter((path) => !basename(path).includes('.json'))
}

/**
 * Half-written journals of restores whose process is gone: a journal is
 * written to `<journal>.tmp-<pid>-<random>` and renamed into place, so a
 * kill between the two leaves the temporary file behind.
 */
export function staleJournalTemps(profileDir: string): string[] {
  const { parent, journal } = restoreNames(profileDir)
  return leftBehind(parent, `${basename(journal)}.tmp-`)
}

/** Entries of `parent` named `<prefix><pid>-…` whose process is gone (never this one). */
function leftBehind(parent: string, prefix: string): string[] {
  let names: string[]
  try {
    names = readdirSync(parent)
  } catch {
    return []
  }
  return names
    .filter((name) => name.startsWith(prefix))
    .filter((name) => {
      const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1])
      return Number.isFinite(pid) && pid !== process.pid && !processAlive(pid)
    })
    .map((name) => join(parent, name))
}

export function ownerAlive(journal: RestoreJournal): boolean {
  return journal.host === hostname() && processAlive(journal.pid)
}

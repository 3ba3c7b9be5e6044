import { mkdirSync, readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { z } from 'zod'
import { PROFILE_DIR_MODE } from '../../profile/permissions.js'
import { writeFileAtomicSync } from '../../shared/atomic-file.js'

const MAX_FOLDERS = 5

const fileSchema = z.object({
  version: z.literal(1),
  folders: z.array(z.string().min(1).max(4096)).max(50),
})

/**
 * The backup folders this user used last, newest first, kept outside the
 * profile (in the app's per-user data folder) so that a restore after the
 * profile was lost still finds them. Only paths: nothing secret. A damaged
 * file counts as empty.
 */
export class RecentBackupFolders {
  constructor(private readonly file: string) {}

  list(): string[] {
    try {
      const parsed = fileSchema.safeParse(JSON.parse(readFileSync(this.file, 'utf8')))
      return parsed.success ? parsed.data.folders.slice(0, MAX_FOLDERS) : []
    } catch {
      return []
    }
  }

  /** Note a folder the user backed up to or restored from; best effort (a read-only disk loses nothing). */
  remember(folder: string): void {
    const path = resolve(folder)
    const folders = [path, ...this.list().filter((f) => f !== path)].slice(0, MAX_FOLDERS)
    try {
      mkdirSync(dirname(this.file), { recursive: true, mode: PROFILE_DIR_MODE })
      writeFileAtomicSync(this.file, `${JSON.stringify({ version: 1, folders }, null, 2)}\n`)
    } catch {
      // Remembering is a convenience: the folder can still be chosen by hand.
    }
  }
}

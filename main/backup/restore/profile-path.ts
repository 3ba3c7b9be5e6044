import { createHash } from 'node:crypto'
import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { CairnError, errnoCode } from '../../shared/errors.js'

/**
 * The folder a profile path names, following symbolic links along the whole
 * path, also when the final target does not exist (a restore interrupted
 * between its renames leaves a link to the profile dangling). A restore
 * works on that folder: renaming the link instead would replace it with a
 * folder and leave the old data behind at the link's target.
 */
export function resolveProfilePath(path: string): string {
  let current = resolve(path)
  for (let hops = 0; hops < 40; hops++) {
    let parent: string
    try {
      parent = realpathSync(dirname(current))
    } catch {
      return current // the parent does not exist yet: a restore creates it
    }
    const here = join(parent, basename(current))
    let isLink: boolean
    try {
      isLink = lstatSync(here).isSymbolicLink()
    } catch {
      return here
    }
    if (!isLink) return here
    current = resolve(parent, readlinkSync(here))
  }
  throw new CairnError(
    'PROFILE_UNAVAILABLE',
    `The profile path ${path} is a loop of symbolic links. Point it at a real folder.`,
  )
}

/**
 * Check, before a restore writes anything, that `profileDir` can be a
 * profile: not a file, a name the filesystem accepts, under a folder (not a
 * file). Each refusal says what is wrong and what to do.
 */
export function checkProfilePath(profileDir: string): void {
  const name = basename(profileDir)
  if (Buffer.byteLength(name) > 255) {
    throw new CairnError(
      'INVALID_ARGUMENT',
      `The profile folder's name is ${Buffer.byteLength(name)} bytes long; filesystems allow at most 255. Choose a shorter --profile path.`,
    )
  }
  try {
    if (!statSync(profileDir).isDirectory()) {
      throw new CairnError(
        'INVALID_ARGUMENT',
        `${profileDir} is a file, not a profile folder, so a backup cannot be restored there. Move the file away or choose another --profile path.`,
      )
    }
    return
  } catch (error) {
    if (error instanceof CairnError) throw error
    if (errnoCode(error) !== 'ENOENT' && errnoCode(error) !== 'ENOTDIR') throw error
  }
  // A new profile: the nearest existing folder above it must be a folder.
  for (let dir = dirname(profileDir); ; dir = dirname(dir)) {
    try {
      if (!statSync(dir).isDirectory()) {
        throw new CairnError(
          'INVALID_ARGUMENT',
          `A profile cannot be created at ${profileDir}: ${dir} is a file, not a folder. Choose another --profile path.`,
        )
      }
      return
    } catch (error) {
      if (error instanceof CairnError) throw error
      const code = errnoCode(error)
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(dir) === dir) throw error
    }
  }
}

/**
 * The names a restore uses beside the profile (same filesystem, so renames
 * are atomic). A long profile name is shortened in them (with a hash, so two
 * long names never share them), leaving room for the suffixes within the
 * filesystem's 255-byte limit.
 */
export function restoreNames(profileDir: string) {
  const parent = dirname(profileDir)
  const base = basename(profileDir)
  const short =
    Buffer.byteLength(base) <= 120
      ? base
      : `${base.slice(0, 60)}-${createHash('sha256').update(base).digest('hex').slice(0, 12)}`
  return {
    parent,
    journal: join(parent, `.${short}.restore-journal.json`),
    recoveryLock: join(parent, `.${short}.restore-recovery.lock`),
    stagingPrefix: `.${short}.restore-`,
    staging: (stamp: string) => join(parent, `.${short}.restore-${process.pid}-${stamp}`),
    previous: (stamp: string) => join(parent, `${short}.pre-restore-${stamp}`),
    failed: (stamp: string) => join(parent, `.${short}.failed-restore-${stamp}`),
  }
}

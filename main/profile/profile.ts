import { mkdirSync } from 'node:fs'
import { CairnError, errnoCode } from '../shared/errors.js'
import { profilePaths, type ProfilePaths } from './layout.js'
import { acquireProfileLock, type ProfileLock } from './lock.js'
import { makeProfilePrivate, PROFILE_DIR_MODE } from './permissions.js'
import { newSettings, readSettings, writeSettings, type Settings } from './settings.js'

export interface Profile {
  readonly paths: ProfilePaths
  readonly id: string
  settings(): Settings
  updateSettings(change: (current: Settings) => Settings): Settings
  close(): void
}

/**
 * Open (creating if needed) the profile in `dir` and hold its lock until
 * close(). Every process that reads or writes a profile goes through here.
 * The profile is private to its owner (folders 0700, files 0600); one made
 * by an earlier version is made so here.
 */
export function openProfile(dir: string): Profile {
  const paths = profilePaths(dir)
  try {
    mkdirSync(dir, { recursive: true, mode: PROFILE_DIR_MODE })
    mkdirSync(paths.attachments, { recursive: true, mode: PROFILE_DIR_MODE })
    makeProfilePrivate(dir)
  } catch (error) {
    const code = errnoCode(error)
    throw new CairnError(
      code === 'ENOSPC' ? 'DISK_FULL' : 'PROFILE_UNAVAILABLE',
      `Cairn cannot create its profile folder at ${dir} (${code ?? 'error'}). ` +
        'Check that the disk is writable, or choose another folder with --profile.',
      { cause: error },
    )
  }
  const lock: ProfileLock = acquireProfileLock(paths.lock)
  let current: Settings
  try {
    current = readSettings(paths.settings) ?? createSettings(paths.settings)
  } catch (error) {
    lock.release()
    throw error
  }
  return {
    paths,
    id: current.profileId,
    settings: () => current,
    updateSettings(change) {
      const next = change(current)
      writeSettings(paths.settings, next)
      current = next
      return next
    },
    close: () => lock.release(),
  }
}

function createSettings(path: string): Settings {
  const settings = newSettings()
  writeSettings(path, settings)
  return settings
}

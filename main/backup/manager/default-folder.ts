import { mkdirSync, readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import { PROFILE_DIR_MODE } from '../../profile/permissions.js'
import { CairnError, errnoCode } from '../../shared/errors.js'

/** The folder backups go to when the user chooses none, inside their Documents folder. */
export const DEFAULT_BACKUP_FOLDER_NAME = 'Cairn Backups'

export interface FolderEnvironment {
  env?: NodeJS.ProcessEnv
  platform?: NodeJS.Platform
  home?: string
  /** The Documents folder as the OS reports it (Electron's app.getPath('documents')), when known. */
  documentsDir?: string
}

/**
 * The user's Documents folder. On Linux it is the XDG user directory
 * (XDG_DOCUMENTS_DIR in ~/.config/user-dirs.dirs, which desktops translate:
 * "Dokumente", "Documents"…), else ~/Documents; on macOS and Windows
 * ~/Documents (the desktop app asks the OS instead, which knows about a
 * Documents folder moved elsewhere).
 */
export function documentsDir(options: FolderEnvironment = {}): string {
  if (options.documentsDir) return options.documentsDir
  const env = options.env ?? process.env
  const home = options.home ?? homedir()
  if ((options.platform ?? process.platform) === 'linux') {
    const configHome = env.XDG_CONFIG_HOME || join(home, '.config')
    const fromUserDirs = xdgDocuments(join(configHome, 'user-dirs.dirs'), home)
    if (fromUserDirs) return fromUserDirs
  }
  return join(home, 'Documents')
}

/** XDG_DOCUMENTS_DIR="$HOME/…" from user-dirs.dirs (its one documented form), or null. */
function xdgDocuments(file: string, home: string): string | null {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return null
  }
  const match = /^XDG_DOCUMENTS_DIR="([^"]*)"\s*$/m.exec(text)
  if (!match) return null
  const value = (match[1] as string).replace(/^\$HOME(?=\/|$)/, home)
  // "$HOME/" alone means the user turned the folder off: their home is no Documents folder.
  if (!isAbsolute(value) || resolve(value) === resolve(home)) return null
  return value
}

/**
 * Where backups go when the user picks no folder: CAIRN_BACKUP_DIR if set
 * (an absolute path, or one relative to the working folder), else "Cairn
 * Backups" in the user's Documents folder. The restore wizard looks here
 * first.
 */
export function defaultBackupDir(options: FolderEnvironment = {}): string {
  const env = options.env ?? process.env
  const chosen = env.CAIRN_BACKUP_DIR?.trim()
  if (chosen) return resolve(chosen)
  return join(documentsDir(options), DEFAULT_BACKUP_FOLDER_NAME)
}

/**
 * Make sure a backup folder exists (creating it and its parents, private to
 * the user), with a message that says what to do when it cannot be made.
 * Nothing is created when a part of the path is a file.
 */
export function ensureBackupFolder(dir: string): void {
  try {
    if (statSync(dir).isDirectory()) return
    throw new CairnError(
      'BACKUP_DESTINATION',
      `${dir} is a file, not a folder: choose a folder for your backups.`,
    )
  } catch (error) {
    if (error instanceof CairnError) throw error
    if (errnoCode(error) !== 'ENOENT') throw folderError(dir, error)
  }
  try {
    mkdirSync(dir, { recursive: true, mode: PROFILE_DIR_MODE })
  } catch (error) {
    throw folderError(dir, error)
  }
}

function folderError(dir: string, error: unknown): CairnError {
  const code = errnoCode(error)
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new CairnError(
      'DISK_FULL',
      `The disk for the backup folder ${dir} is full, so the folder could not be made. Free some space or choose another folder.`,
      { cause: error },
    )
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return new CairnError(
      'BACKUP_DESTINATION',
      `Cairn may not create the backup folder ${dir} (it is read-only or you lack permission). Choose another folder.`,
      { cause: error },
    )
  if (code === 'ENOTDIR')
    return new CairnError(
      'BACKUP_DESTINATION',
      `Part of the path ${dir} is a file, not a folder: choose another folder for your backups.`,
      { cause: error },
    )
  return new CairnError(
    'BACKUP_DESTINATION',
    `Cairn cannot use ${dir} as its backup folder (${code ?? String(error)}). Choose another folder.`,
    { cause: error },
  )
}

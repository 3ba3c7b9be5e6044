import { readFileSync, statSync } from 'node:fs'
import { loadKeyFromKeychain } from '../backup/custody.js'
import type { BackupSource } from '../backup/destination/backup-source.js'
import { parseBackupKey, type BackupKey } from '../backup/key/backup-key.js'
import { keyThatOpens } from '../backup/key/choose-key.js'
import { readSettingsJson } from '../backup/restore/keep-custody.js'
import { osKeychain } from '../keychain/keychain.js'
import { profilePaths } from '../profile/layout.js'
import { CairnError, errnoCode, isCairnError } from '../shared/errors.js'
import type { CliContext } from './command.js'
import { promptHidden } from './prompt.js'

/** Where warnings about a key file go (the command's standard error). */
export type Warn = (message: string) => void

export const warnOn =
  (context: CliContext): Warn =>
  (message) =>
    context.stderr.write(`Warning: ${message}\n`)

/**
 * Read a key file: one backup key (64 hex digits, spaces, dashes and line
 * breaks allowed), or an age identity file, which may hold several keys
 * (AGE-SECRET-KEY-1… lines, with # comment lines, as age-keygen writes
 * them and age accepts). A file others may read is used, with a warning.
 */
export function readKeyFile(path: string, warn: Warn): BackupKey[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = errnoCode(error)
    throw new CairnError(
      'KEY_MISSING',
      code === 'ENOENT'
        ? `There is no key file at ${path}. Check the path.`
        : code === 'EISDIR'
          ? `${path} is a folder, not a key file.`
          : code === 'EACCES' || code === 'EPERM'
            ? `Cairn is not allowed to read the key file ${path}. Give your user read access to it.`
            : `Cairn cannot read the key file ${path} (${code ?? 'error'}).`,
      { cause: error },
    )
  }
  warnIfReadableByOthers(path, warn)
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'))
  const held = (error: unknown): never => {
    if (isCairnError(error))
      throw new CairnError(
        error.code,
        `The key file ${path} does not hold a backup key: ${error.message}`,
      )
    throw error
  }
  if (lines.some((line) => /^age-secret-key-1/i.test(line))) {
    // An age identity file: every line is one key.
    return lines.map((line, index) => {
      try {
        return parseBackupKey(line)
      } catch (error) {
        if (isCairnError(error))
          throw new CairnError(
            error.code,
            `The key file ${path} does not hold a backup key on line ${index + 1}: ${error.message}`,
          )
        throw error
      }
    })
  }
  try {
    return [parseBackupKey(lines.join('\n'))]
  } catch (error) {
    return held(error)
  }
}

/** A key file that must hold exactly one key (to import, or to register with the vault). */
export function readOneKey(path: string, warn: Warn): BackupKey {
  const keys = readKeyFile(path, warn)
  if (keys.length !== 1) {
    throw new CairnError(
      'INVALID_ARGUMENT',
      `The key file ${path} holds ${keys.length} keys; name a file that holds only the one you mean.`,
    )
  }
  return keys[0] as BackupKey
}

/** Like ssh with private keys, but a warning rather than a refusal: the user may need the backup now. */
function warnIfReadableByOthers(path: string, warn: Warn): void {
  if (process.platform === 'win32') return
  try {
    const mode = statSync(path).mode & 0o777
    if ((mode & 0o077) !== 0) {
      warn(
        `the key file ${path} can be read by other users of this computer (mode ${mode.toString(8).padStart(4, '0')}); ` +
          `anyone who can read it can read your backups. Make it private: chmod 600 ${path}`,
      )
    }
  } catch {
    // It was just read; a failing stat changes nothing.
  }
}

/**
 * The key to open `backupFile`, and where it came from: from --key-file if
 * given (the key in it that opens the file, when it holds several), else
 * from the keychain (the key its sidecar names, or the profile's own key:
 * a sidecar may have been edited), else typed at a prompt. Says clearly
 * which of these it tried.
 */
export async function keyForBackup(
  backup: BackupSource,
  keyFile: string | undefined,
  context: CliContext,
  profileDir?: string,
): Promise<{ key: BackupKey; source: 'file' | 'keychain' | 'typed' }> {
  if (keyFile) {
    const keys = readKeyFile(keyFile, warnOn(context))
    return { key: (await keyThatOpens(backup, keys)) ?? (keys[0] as BackupKey), source: 'file' }
  }
  const fingerprints = new Set<string>()
  const named = (await backup.readSidecar())?.keyFingerprint
  if (named) fingerprints.add(named)
  const profileKey = profileDir
    ? (readSettingsJson(profilePaths(profileDir).settings)?.backup as { fingerprint?: unknown })
        ?.fingerprint
    : undefined
  if (typeof profileKey === 'string') fingerprints.add(profileKey)
  let keychainNote = ''
  if (fingerprints.size > 0) {
    try {
      const found = [...fingerprints]
        .map((fingerprint) => loadKeyFromKeychain(osKeychain(), fingerprint))
        .filter((key): key is BackupKey => key !== null)
      const key = (await keyThatOpens(backup, found)) ?? found[0]
      if (key) return { key, source: 'keychain' }
      keychainNote = `The keychain has no key with fingerprint ${[...fingerprints].join(' or ')}. `
    } catch (error) {
      keychainNote = `${(error as Error).message} `
    }
  }
  if (!process.stdin.isTTY) {
    throw new CairnError(
      'KEY_MISSING',
      `${keychainNote}Give the backup key with --key-file FILE (64 hex digits or an age key).`,
    )
  }
  if (keychainNote) context.stderr.write(`${keychainNote}\n`)
  return {
    key: parseBackupKey(await promptHidden('Backup key (64 hex digits): ')),
    source: 'typed',
  }
}

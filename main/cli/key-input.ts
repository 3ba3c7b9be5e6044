import { readFileSync } from 'node:fs'
import { loadKeyFromKeychain } from '../backup/custody.js'
import { readSidecarOf } from '../backup/destination/sidecar.js'
import { parseBackupKey, type BackupKey } from '../backup/key/backup-key.js'
import { osKeychain } from '../keychain/keychain.js'
import { CairnError, errnoCode, isCairnError } from '../shared/errors.js'
import { promptHidden } from './prompt.js'

/**
 * Read a key file: 64 hex digits (spaces and dashes allowed) or an age
 * identity file (AGE-SECRET-KEY-1…, with # comment lines as age-keygen
 * writes them).
 */
export function readKeyFile(path: string): BackupKey {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new CairnError(
      'KEY_MISSING',
      `Cannot read the key file ${path} (${errnoCode(error) ?? 'error'}).`,
    )
  }
  const content = text
    .split(/\r?\n/)
    .filter((line) => !line.trim().startsWith('#'))
    .join('\n')
  try {
    return parseBackupKey(content)
  } catch (error) {
    if (isCairnError(error))
      throw new CairnError(
        error.code,
        `The key file ${path} does not hold a backup key: ${error.message}`,
      )
    throw error
  }
}

/**
 * The key to open `backupFile`: from --key-file if given, else from the
 * keychain (found by the fingerprint its sidecar names), else typed at a
 * prompt. Says clearly which of these it tried.
 */
export async function keyForBackup(
  backupFile: string,
  keyFile: string | undefined,
): Promise<BackupKey> {
  if (keyFile) return readKeyFile(keyFile)
  const sidecar = readSidecarOf(backupFile)
  let keychainNote = ''
  if (sidecar) {
    try {
      const key = loadKeyFromKeychain(osKeychain(), sidecar.keyFingerprint)
      if (key) return key
      keychainNote = `The keychain has no key with fingerprint ${sidecar.keyFingerprint}. `
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
  if (keychainNote) process.stderr.write(`${keychainNote}\n`)
  return parseBackupKey(await promptHidden('Backup key (64 hex digits): '))
}

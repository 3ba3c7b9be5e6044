import Database from 'better-sqlite3'
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { compareBackupNames } from '../../main/backup/destination/names'
import { readBackupSettings, setBackupKey } from '../../main/backup/backup-settings'
import { runBackup, type BackupRequest } from '../../main/backup/run-backup'
import { formatKeyHex, generateBackupKey, type BackupKey } from '../../main/backup/key/backup-key'
import { openProfile } from '../../main/profile/profile'
import { expect } from 'vitest'
import { tempDir } from './temp'

/** Give a profile a backup key kept by the user (no keychain needed); returns the key and a key file. */
export function setUpBackupKey(
  profileDir: string,
  key: BackupKey = generateBackupKey(),
): { key: BackupKey; keyFile: string } {
  const profile = openProfile(profileDir)
  try {
    setBackupKey(profile, key, 'user')
    expect(readBackupSettings(profile)?.fingerprint).toBe(key.fingerprint)
  } finally {
    profile.close()
  }
  const keyFile = join(tempDir(), 'key.txt')
  // Private, as a key file should be (a readable one draws a warning).
  writeFileSync(keyFile, `${formatKeyHex(key.secret)}\n`, { mode: 0o600 })
  return { key, keyFile }
}

export function backupFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.tar.zst.age'))
    .sort(compareBackupNames) // oldest first, also within one second ("-1" after none)
    .map((n) => join(dir, n))
}

/** How many messages a profile's mailbox holds (read-only; the profile may be locked). */
export function messageCount(profileDir: string): number {
  const db = new Database(join(profileDir, 'mail.sqlite'), { readonly: true, fileMustExist: true })
  try {
    return (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n
  } finally {
    db.close()
  }
}

/** One backup of `profile` to `dest` with the library call the CLI and the scheduler use. */
export function backUp(
  profile: { dir: string; id: string },
  key: BackupKey,
  dest: string = tempDir(),
  more: Partial<BackupRequest> = {},
) {
  return runBackup({
    profileDir: profile.dir,
    destination: dest,
    recipient: key.recipient,
    keyFingerprint: key.fingerprint,
    profileId: profile.id,
    ...more,
  })
}

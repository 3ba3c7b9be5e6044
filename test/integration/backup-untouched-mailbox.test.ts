/**
 * An untouched mailbox is not read again for an incremental backup (its
 * inode, size and modification time are those the record of the last
 * backup kept, as restic and Borg decide), but one written moments before
 * a backup (a clock step that could hide the next write: a whole second on
 * some filesystems) is read again next time.
 */
import { statSync, utimesSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generateBackupKey } from '../../main/backup/key/backup-key'
import { restoreBackup } from '../../main/backup/restore/restore'
import type { BackupProgress } from '../../main/backup/run-backup'
import { openMailDb } from '../../main/mail/db/connection'
import { backUp as backUpTo } from '../support/backup-fixtures'
import { profileState, restoreTarget } from '../support/chain-world'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

const latest = { confirm: ['older-than-newest-backup' as const] }

async function backUp(
  profile: { dir: string; id: string },
  key: ReturnType<typeof generateBackupKey>,
  dest: string,
) {
  let hashed = 0
  const result = await backUpTo(profile, key, dest, {
    onProgress: (p: BackupProgress) => {
      if (p.phase === 'snapshot') hashed = Math.max(hashed, p.bytesDone)
    },
  })
  return { result, hashed }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 120))

describe('an untouched mailbox', () => {
  it('is not read again, and a change after it is carried', async () => {
    const profile = await makeProfile({ messages: 40 })
    const key = generateBackupKey()
    const dest = tempDir()
    const database = join(profile.dir, 'mail.sqlite')
    await settle()
    await backUp(profile, key, dest) // full: the mailbox is read and recorded
    await settle()
    const untouched = await backUp(profile, key, dest)
    expect(untouched.result.kind).toBe('incremental')
    expect(untouched.hashed).toBeLessThan(statSync(database).size)

    const db = openMailDb(database)
    db.prepare('UPDATE messages SET flagged = 1 WHERE id % 5 = 0').run()
    db.close()
    await settle()
    const changed = await backUp(profile, key, dest)
    expect(changed.result.kind).toBe('incremental')
    expect(changed.hashed).toBeGreaterThanOrEqual(statSync(database).size)
    const target = restoreTarget()
    await restoreBackup({ file: changed.result.path, key, profileDir: target, ...latest })
    expect(profileState(target)).toEqual(profileState(profile.dir))
  })

  it('written within the clock step before a backup, is read again next time even if its time did not move', async () => {
    const profile = await makeProfile({ messages: 40 })
    const key = generateBackupKey()
    const dest = tempDir()
    const database = join(profile.dir, 'mail.sqlite')
    // A filesystem that keeps whole seconds: the mailbox was written this very second.
    const second = Math.floor(Date.now() / 1000)
    utimesSync(database, second, second)
    await backUp(profile, key, dest)
    // Written again within that second: the time does not move, nor does the size.
    const db = openMailDb(database)
    db.prepare('UPDATE messages SET seen = 1 - seen').run()
    db.close()
    utimesSync(database, second, second)
    const next = await backUp(profile, key, dest)
    expect(next.result.kind).toBe('incremental')
    const target = restoreTarget()
    await restoreBackup({ file: next.result.path, key, profileDir: target, ...latest })
    expect(profileState(target)).toEqual(profileState(profile.dir))
  })
})

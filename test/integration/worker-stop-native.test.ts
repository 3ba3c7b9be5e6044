import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { generateBackupKey } from '../../main/backup/key/backup-key'
import { openBackupStream } from '../../main/backup/pipeline/open-backup'
import { storeAttachment } from '../../main/mail/attachment-store'
import { openProfile } from '../../main/profile/profile'
import { backUp, setUpBackupKey } from '../support/backup-fixtures'
import { makeProfile } from '../support/profiles'

describe('stopping a worker that is busy in native code', () => {
  it('a backup stream abandoned while its worker decompresses never brings the process down', async () => {
    const profile = await makeProfile({ messages: 3 })
    const p = openProfile(profile.dir)
    for (let i = 0; i < 4; i++) storeAttachment(p.paths.attachments, randomBytes(2 << 20))
    p.close()
    const key = generateBackupKey()
    setUpBackupKey(profile.dir, key)
    const backup = await backUp(profile, key)
    let opened = 0
    for (let round = 0; round < 60; round++) {
      const stream = openBackupStream(backup.path, key)
      await new Promise<void>((resolve, reject) => {
        stream.once('data', () => resolve())
        stream.once('error', reject)
      })
      opened++
      // What a refused restore does: stop reading at once, while the worker is mid-stream.
      stream.destroy()
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(opened).toBe(60)
  })
})

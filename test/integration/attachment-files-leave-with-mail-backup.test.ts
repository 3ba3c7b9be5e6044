import { utimesSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BackupResult } from '../../main/backup/run-backup'
import { runBackupInWorker } from '../../main/backup/schedule/run-in-worker'
import { attachmentPath } from '../../main/mail/attachment-store'
import { SWEEP_GRACE_MS, sweepReleasedAttachments } from '../../main/mail/attachment-sweep'
import { openMailDb } from '../../main/mail/db/connection'
import { backupFiles, setUpBackupKey } from '../support/backup-fixtures'
import { manifestOf, readWithStandardTools } from '../support/crafted-backups'
import { useRealKeychain } from '../support/keyring'
import { makeProfile } from '../support/profiles'
import { tempDir } from '../support/temp'

let keyring: Awaited<ReturnType<typeof useRealKeychain>>
beforeAll(async () => {
  keyring = await useRealKeychain()
})
afterAll(() => keyring?.stop())

describe('the attachment sweep and a backup under way', () => {
  it('leaves every file the backup’s snapshot of the mailbox refers to, even if its mail is deleted meanwhile', async () => {
    // Two messages with large files, so the backup is still reading when the user deletes one.
    const profile = await makeProfile({ messages: 6, attachmentBytes: 24 * 1024 * 1024 })
    const { key } = setUpBackupKey(profile.dir)
    const db = openMailDb(join(profile.dir, 'mail.sqlite'))
    const attachments = join(profile.dir, 'attachments')
    try {
      const first = db
        .prepare<[], { id: number; sha256: string }>(
          `SELECT m.id, a.sha256 FROM messages m JOIN attachments a ON a.message_id = m.id
            WHERE m.subject = 'Message number 0'`,
        )
        .get()!
      const file = `attachments/${first.sha256.slice(0, 2)}/${first.sha256}`
      utimesSync(attachmentPath(attachments, first.sha256), new Date(0), new Date(0))

      let swept: ReturnType<typeof sweepReleasedAttachments> | null = null
      const destination = tempDir()
      const result: BackupResult | Error = await runBackupInWorker({
        profileDir: profile.dir,
        destination,
        recipient: key.recipient,
        keyFingerprint: key.fingerprint,
        profileId: profile.id,
        // The mailbox is in the snapshot, the files are being read: the user deletes the
        // message for good, and the app's sweep timer fires.
        onProgress: () => {
          if (swept) return
          db.prepare('DELETE FROM messages WHERE id = ?').run(first.id)
          swept = sweepReleasedAttachments(db, attachments, {
            now: Date.now() + SWEEP_GRACE_MS * 4,
          })
        },
      }).catch((error: unknown) => error as Error)
      expect(swept).not.toBeNull()
      expect(result).not.toBeInstanceOf(Error)
      // The backup's mailbox still has that message, so the backup must have its file.
      const entries = readWithStandardTools(backupFiles(destination)[0] as string, key)
      const manifest = manifestOf(entries) as { files: { path: string }[] }
      expect(manifest.files.map((f) => f.path)).toContain(file)
      expect(entries.map(([path]) => path)).toContain(file)

      // After the backup, the sweep removes it.
      expect(
        sweepReleasedAttachments(db, attachments, { now: Date.now() + SWEEP_GRACE_MS * 4 }),
      ).toMatchObject({ removed: 1 })
    } finally {
      db.close()
    }
  }, 120_000)
})

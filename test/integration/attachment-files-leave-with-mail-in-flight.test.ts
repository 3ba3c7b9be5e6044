import { randomBytes } from 'node:crypto'
import { existsSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { attachmentPath, storeAttachment } from '../../main/mail/attachment-store'
import { SWEEP_GRACE_MS, sweepReleasedAttachments } from '../../main/mail/attachment-sweep'
import { openMailDb, type MailDb } from '../../main/mail/db/connection'
import { openServices } from '../../main/services'
import { seedMaildir } from '../support/dovecot'
import { useMailServers } from '../support/mail-servers'
import { buildMbox, buildMessage } from '../support/mail-fixtures'
import { imapsSettings, openSyncWorld } from '../support/sync-world'
import { tempDir } from '../support/temp'

const servers = useMailServers({ users: ['alice'], postfix: false })

/** Long after the grace period: what a sweep sees after a laptop's sleep, or a slow batch. */
const muchLater = () => Date.now() + 4 * SWEEP_GRACE_MS

/** A file in the store that an earlier, deleted message left released (and old). */
function releasedFile(db: MailDb, attachmentsDir: string, bytes: Buffer, usedAt = 0): string {
  const sha = storeAttachment(attachmentsDir, bytes)
  utimesSync(attachmentPath(attachmentsDir, sha), new Date(usedAt), new Date(usedAt))
  db.prepare('INSERT INTO released_attachments (sha256) VALUES (?)').run(sha)
  return sha
}

const withAttachment = (subject: string, content: Buffer) =>
  buildMessage({
    subject,
    text: 'see attached',
    attachments: [{ filename: 'report.pdf', contentType: 'application/pdf', content }],
  })

const rowsFor = (db: MailDb, sha: string) =>
  db
    .prepare<[string], { n: number }>('SELECT count(*) AS n FROM attachments WHERE sha256 = ?')
    .get(sha)!.n

describe('the attachment sweep and work still in flight', () => {
  it('never removes a file a synced message stored while the rest of its batch is still arriving', async () => {
    const content = randomBytes(5000)
    seedMaildir(servers.dovecot, 'alice', [{ raw: withAttachment('again', content) }])
    let sweptDuringBatch: ReturnType<typeof sweepReleasedAttachments> | null = null
    let world: Awaited<ReturnType<typeof openSyncWorld>> | null = null
    // The sweep timer fires (after a sleep, or on a slow link) once the workers have stored
    // the message's attachment and before the batch's transaction writes its row.
    world = await openSyncWorld(undefined, undefined, {
      prepare: (workers) => async (raw) => {
        const prepared = await workers(raw)
        if (world && prepared.content?.attachments.length)
          sweptDuringBatch = sweepReleasedAttachments(world.db, join(world.dir, 'attachments'), {
            now: muchLater(),
          })
        return prepared
      },
    })
    try {
      const attachmentsDir = join(world.dir, 'attachments')
      const sha = releasedFile(world.db, attachmentsDir, content)
      const { accountId } = await world.accounts.add({
        email: 'alice@example.test',
        password: 'alice-password',
        imap: imapsSettings(servers.dovecot, servers.cert),
        smtp: imapsSettings(servers.dovecot, servers.cert),
        verify: false,
      })
      const [report] = await world.sync.syncOnce(accountId)
      expect(report?.bodies).toBe(1)
      expect(sweptDuringBatch).not.toBeNull()
      expect(rowsFor(world.db, sha)).toBe(1)
      expect(existsSync(attachmentPath(attachmentsDir, sha))).toBe(true)
      // Once the row is written, a sweep leaves the file and forgets the candidate.
      expect(
        sweepReleasedAttachments(world.db, attachmentsDir, { now: muchLater() }),
      ).toMatchObject({ removed: 0 })
      expect(existsSync(attachmentPath(attachmentsDir, sha))).toBe(true)
    } finally {
      await world.close()
    }
  })

  it('never removes a file the app’s import thread stored and has not committed yet', async () => {
    const dir = tempDir()
    const services = openServices(dir)
    const { attachments, database } = services.profile.paths
    const db = openMailDb(database)
    try {
      const content = randomBytes(6000)
      // Used a minute ago: the app's own sweep (running since the profile opened) leaves it.
      const usedAt = Date.now() - 60_000
      const sha = releasedFile(db, attachments, content, usedAt)
      // The message with the file comes first in a batch the import commits 500 messages later.
      const mbox = join(tempDir(), 'Archive.mbox')
      writeFileSync(
        mbox,
        buildMbox([
          withAttachment('first', content),
          ...Array.from({ length: 1200 }, (_, i) =>
            buildMessage({ subject: `filler ${i}`, text: 'words '.repeat(3000) }),
          ),
        ]),
      )
      const finished = new Promise<void>((resolve) => {
        const off = services.mail.events.on('importFinished', () => {
          off()
          resolve()
        })
      })
      let done = false
      void finished.then(() => (done = true))
      services.mail.startImport([mbox])
      // The app's sweep timer fires once the import thread has taken the file up
      // (stored the first message's attachment, so the file is just used) and until it ends.
      const file = attachmentPath(attachments, sha)
      let sweeps = 0
      let takenUp = false
      while (!done) {
        const modified = statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? usedAt
        takenUp ||= modified > usedAt + 1_000
        if (takenUp) {
          sweepReleasedAttachments(db, attachments, { now: muchLater() })
          sweeps++
        }
        await new Promise((resolve) => setTimeout(resolve, 1))
      }
      expect(sweeps).toBeGreaterThan(0)
      expect(rowsFor(db, sha)).toBe(1)
      expect(existsSync(attachmentPath(attachments, sha))).toBe(true)
    } finally {
      db.close()
      await services.close()
    }
  })
})

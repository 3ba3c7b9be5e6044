import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FolderActions } from '../../main/mail/actions/folder-actions'
import { MailActions } from '../../main/mail/actions/message-actions'
import { attachmentPath, storeAttachment } from '../../main/mail/attachment-store'
import { SWEEP_GRACE_MS, sweepReleasedAttachments } from '../../main/mail/attachment-sweep'
import { openMailDb } from '../../main/mail/db/connection'
import { importMail } from '../../main/mail/import/import-mail'
import { openServices } from '../../main/services'
import { runCli } from '../support/cli'
import { buildMbox, buildMessage } from '../support/mail-fixtures'
import { tempMailDb } from '../support/mail-db'
import { tempDir } from '../support/temp'
import { within } from '../support/within'

const later = () => Date.now() + SWEEP_GRACE_MS + 1_000

describe('attachment files of deleted mail', () => {
  it('leave the profile once nothing refers to them, and not before', async () => {
    const { db, attachmentsDir } = tempMailDb()
    const unique = randomBytes(3000)
    const shared = randomBytes(4000)
    const mbox = join(tempDir(), 'Inbox.mbox')
    const file = (name: string, content: Buffer) => ({
      filename: name,
      contentType: 'application/octet-stream',
      content,
    })
    writeFileSync(
      mbox,
      buildMbox([
        buildMessage({ subject: 'one', text: 'x', attachments: [file('one.bin', unique)] }),
        buildMessage({ subject: 'two', text: 'x', attachments: [file('same.bin', shared)] }),
        buildMessage({ subject: 'three', text: 'x', attachments: [file('same.bin', shared)] }),
      ]),
    )
    expect((await importMail({ db, attachmentsDir, paths: [mbox] })).imported).toBe(3)
    const shaOf = (subject: string) =>
      db
        .prepare<[string], { sha256: string }>(
          'SELECT a.sha256 FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.subject = ?',
        )
        .get(subject)!.sha256
    const idOf = (subject: string) =>
      db
        .prepare<[string], { id: number }>('SELECT id FROM messages WHERE subject = ?')
        .get(subject)!.id
    const uniqueFile = attachmentPath(attachmentsDir, shaOf('one'))
    const sharedFile = attachmentPath(attachmentsDir, shaOf('two'))
    const actions = new MailActions(db, null, new FolderActions(db, null))
    const sweep = (now = later()) => sweepReleasedAttachments(db, attachmentsDir, { now })

    // In Trash the message still has its file.
    await actions.delete([idOf('one')])
    expect(sweep()).toMatchObject({ removed: 0, waiting: 0 })
    expect(existsSync(uniqueFile)).toBe(true)

    // Deleted for good: the file stays through the grace period, then goes.
    await actions.delete([idOf('one')])
    expect(sweep(Date.now())).toMatchObject({ removed: 0, waiting: 1 })
    expect(existsSync(uniqueFile)).toBe(true)
    expect(sweep()).toMatchObject({ removed: 1, waiting: 0 })
    expect(existsSync(uniqueFile)).toBe(false)

    // A file another message still carries stays, and is no longer a candidate.
    await actions.delete([idOf('two')])
    await actions.delete([idOf('two')])
    expect(sweep()).toMatchObject({ removed: 0, waiting: 0 })
    expect(existsSync(sharedFile)).toBe(true)
    expect(db.prepare('SELECT count(*) AS n FROM released_attachments').get()).toEqual({ n: 0 })

    // A draft that carries the file (a forward) keeps it after the last message goes.
    db.prepare(
      `INSERT INTO drafts (id, message_id_header, kind, attachments_json, updated_at, created_at)
       VALUES (1, '<d@x>', 'forward', ?, 1, 1)`,
    ).run(
      JSON.stringify([
        { key: 'k', sha256: shaOf('three'), filename: 'same.bin', mimeType: 'x/y', size: 4000 },
      ]),
    )
    await actions.delete([idOf('three')])
    await actions.delete([idOf('three')])
    expect(sweep()).toMatchObject({ removed: 0 })
    expect(existsSync(sharedFile)).toBe(true)

    // The draft is sent (and so deleted) while the same attachment arrives again:
    // storing bytes already there marks the file as just used, so it is not swept
    // before the new message's row refers to it.
    db.prepare('DELETE FROM drafts WHERE id = 1').run()
    utimesSync(sharedFile, new Date(0), new Date(0))
    storeAttachment(attachmentsDir, shared)
    expect(sweep(Date.now())).toMatchObject({ removed: 0, waiting: 1 })
    expect(existsSync(sharedFile)).toBe(true)
    expect(sweep()).toMatchObject({ removed: 1 })
    expect(existsSync(sharedFile)).toBe(false)
  })

  it('are swept by the running app as soon as it opens the profile', async () => {
    const dir = tempDir()
    const first = openServices(dir)
    const { attachments, database } = first.profile.paths
    await first.close()

    // A file released by an earlier run and not used for longer than the grace period.
    const sha = 'f'.repeat(64)
    const path = attachmentPath(attachments, sha)
    mkdirSync(join(attachments, 'ff'), { recursive: true })
    writeFileSync(path, 'old words')
    utimesSync(path, new Date(0), new Date(0))
    const db = openMailDb(database)
    db.prepare('INSERT INTO released_attachments (sha256) VALUES (?)').run(sha)
    db.close()

    const services = openServices(dir)
    try {
      await within(
        (async () => {
          while (existsSync(path)) await new Promise((r) => setTimeout(r, 20))
        })(),
        'the sweep at start',
        5_000,
      )
    } finally {
      await services.close()
    }
  })

  it('are swept by `cairn sync --once` too, for profiles only the command line uses', async () => {
    const dir = tempDir()
    const first = openServices(dir)
    const { attachments, database } = first.profile.paths
    await first.close()
    const old = 'e'.repeat(64)
    const fresh = 'd'.repeat(64)
    for (const sha of [old, fresh]) {
      mkdirSync(join(attachments, sha.slice(0, 2)), { recursive: true })
      writeFileSync(attachmentPath(attachments, sha), 'words')
    }
    utimesSync(attachmentPath(attachments, old), new Date(0), new Date(0))
    const db = openMailDb(database)
    for (const sha of [old, fresh])
      db.prepare('INSERT INTO released_attachments (sha256) VALUES (?)').run(sha)
    db.close()

    const sync = await runCli(['sync', '--profile', dir, '--once'])
    expect(sync.code, sync.stderr).toBe(0)
    expect(existsSync(attachmentPath(attachments, old))).toBe(false)
    // Released just now: kept through the grace period.
    expect(existsSync(attachmentPath(attachments, fresh))).toBe(true)
  })
})

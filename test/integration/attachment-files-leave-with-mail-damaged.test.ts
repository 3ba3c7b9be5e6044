import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { attachmentPath, storeAttachment } from '../../main/mail/attachment-store'
import { SWEEP_GRACE_MS, sweepReleasedAttachments } from '../../main/mail/attachment-sweep'
import type { MailDb } from '../../main/mail/db/connection'
import { tempMailDb } from '../support/mail-db'
import { tempDir } from '../support/temp'

const later = () => Date.now() + SWEEP_GRACE_MS + 1_000

/** A stored file, last used long ago, that a deleted row left released. */
function oldReleasedFile(db: MailDb, attachmentsDir: string): string {
  const sha = storeAttachment(attachmentsDir, randomBytes(2000))
  utimesSync(attachmentPath(attachmentsDir, sha), new Date(0), new Date(0))
  db.prepare('INSERT INTO released_attachments (sha256) VALUES (?)').run(sha)
  return sha
}

/** A released row as a damaged or hostile database could hold it (the CHECK only counts characters). */
function releaseRaw(db: MailDb, name: string) {
  db.prepare('INSERT INTO released_attachments (sha256) VALUES (?)').run(name)
}

describe('the attachment sweep on a damaged or hostile database', () => {
  it('never touches a path outside the store, and a bad row does not stop the sweep', () => {
    const { db, attachmentsDir } = tempMailDb()
    // 64 characters that, taken as a name, climb out of the attachments folder.
    const climb = '../../victim'.padEnd(64, '_')
    const outside = resolve(attachmentsDir, climb.slice(0, 2), climb)
    mkdirSync(join(outside, '..'), { recursive: true })
    writeFileSync(outside, 'not the store’s')
    utimesSync(outside, new Date(0), new Date(0))
    releaseRaw(db, climb)
    releaseRaw(db, 'A'.repeat(64)) // upper case: no file of the store is named so
    const sha = oldReleasedFile(db, attachmentsDir)

    expect(sweepReleasedAttachments(db, attachmentsDir, { now: later() })).toMatchObject({
      removed: 1,
    })
    expect(existsSync(outside)).toBe(true)
    expect(existsSync(attachmentPath(attachmentsDir, sha))).toBe(false)
    expect(db.prepare('SELECT count(*) AS n FROM released_attachments').get()).toEqual({ n: 0 })
  })

  it('keeps a file a draft names in JSON of another shape, and a damaged draft does not stop the sweep', () => {
    const { db, attachmentsDir } = tempMailDb()
    const named = oldReleasedFile(db, attachmentsDir)
    const free = oldReleasedFile(db, attachmentsDir)
    // Not the shape compose writes ({ key, sha256, … } objects): a bare name in the list.
    db.prepare(
      `INSERT INTO drafts (message_id_header, kind, attachments_json, updated_at, created_at)
       VALUES ('<d@x>', 'new', ?, 1, 1)`,
    ).run(JSON.stringify([named]))

    expect(sweepReleasedAttachments(db, attachmentsDir, { now: later() })).toMatchObject({
      removed: 1,
    })
    expect(existsSync(attachmentPath(attachmentsDir, named))).toBe(true)
    expect(existsSync(attachmentPath(attachmentsDir, free))).toBe(false)
  })

  it.each([
    [
      'a sub-folder',
      (attachmentsDir: string, sha: string) => join(attachmentsDir, sha.slice(0, 2)),
    ],
    ['the attachments folder', (attachmentsDir: string) => attachmentsDir],
  ])('never removes a file through %s replaced by a symbolic link', (_, linkAt) => {
    const { db, attachmentsDir } = tempMailDb()
    const sha = randomBytes(32).toString('hex')
    mkdirSync(attachmentsDir, { recursive: true })
    // Elsewhere, a file with the candidate's name, where the planted link leads.
    const elsewhere = tempDir()
    const link = linkAt(attachmentsDir, sha)
    const victim = join(elsewhere, relative(link, attachmentPath(attachmentsDir, sha)))
    mkdirSync(dirname(victim), { recursive: true })
    writeFileSync(victim, 'not the store’s')
    utimesSync(victim, new Date(0), new Date(0))
    if (link === attachmentsDir) rmSync(attachmentsDir, { recursive: true })
    symlinkSync(elsewhere, link)
    releaseRaw(db, sha)
    const lines: string[] = []

    expect(
      sweepReleasedAttachments(db, attachmentsDir, { now: later(), log: (l) => lines.push(l) }),
    ).toMatchObject({ removed: 0, waiting: 0 })
    expect(existsSync(victim)).toBe(true)
    // Dropped, so it is not looked at again every ten minutes; the log says where, not whose.
    expect(db.prepare('SELECT count(*) AS n FROM released_attachments').get()).toEqual({ n: 0 })
    expect(lines).toEqual([
      `Attachment sweep: ${relative(dirname(attachmentsDir), link)} is not a real folder (a symbolic link?); 1 file(s) under it left in place.`,
    ])
  })
})

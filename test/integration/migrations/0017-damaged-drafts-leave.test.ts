import { expect } from 'vitest'
import { damagedDraftsLeave } from '../../../main/mail/db/migrations/0017-damaged-drafts-leave'
import { describeMigration, type Db } from '../../support/migrations'

const [A, B] = ['a', 'b'].map((c) => c.repeat(64)) as [string, string]

const released = (db: Db) =>
  (
    db.prepare('SELECT sha256 FROM released_attachments ORDER BY sha256').all() as {
      sha256: string
    }[]
  ).map((r) => r.sha256[0])

const entry = (sha256: unknown) => ({ key: 'k', sha256, filename: 'f', mimeType: 'x/y', size: 1 })

/** Attachments JSON as a damaged disk or another tool can leave it; compose writes none of these. */
const DAMAGED = [
  JSON.stringify([A]), // a bare name
  JSON.stringify([entry(A), 'b', 5, null, [B], entry(7)]), // one good entry among others
  '[{"key":"k","sha256":"', // cut short
  'not json at all',
  '',
]

const insertDraft = (db: Db, id: number, json: string) =>
  db
    .prepare(
      `INSERT INTO drafts (id, message_id_header, kind, attachments_json, updated_at, created_at)
       VALUES (?, ?, 'new', ?, 1, 1)`,
    )
    .run(id, `<d${id}@x>`, json)

describeMigration(damagedDraftsLeave, {
  // Damaged drafts already in the mailbox before the upgrade (0016 could not delete them).
  seed(db) {
    DAMAGED.forEach((json, i) => insertDraft(db, 100 + i, json))
  },
  checks(db) {
    // Each damaged draft can be re-attached and discarded; only well-formed entries are noted.
    for (const [i, json] of DAMAGED.entries()) {
      db.prepare('DELETE FROM released_attachments').run()
      db.prepare('UPDATE drafts SET attachments_json = ? WHERE id = ?').run('[]', 100 + i)
      db.prepare('UPDATE drafts SET attachments_json = ? WHERE id = ?').run(json, 100 + i)
      db.prepare('DELETE FROM drafts WHERE id = ?').run(100 + i)
      expect(released(db), json).toEqual(i === 1 ? ['a'] : [])
    }

    // Well-formed drafts are noted as 0016 noted them.
    db.prepare('DELETE FROM released_attachments').run()
    insertDraft(db, 1, JSON.stringify([entry(A), entry(B)]))
    db.prepare('UPDATE drafts SET attachments_json = ? WHERE id = 1').run(
      JSON.stringify([entry(A)]),
    )
    expect(released(db)).toEqual(['a', 'b'])
    db.prepare('DELETE FROM released_attachments').run()
    db.prepare('UPDATE drafts SET subject = ? WHERE id = 1').run('typing')
    expect(released(db)).toEqual([])
    db.prepare('DELETE FROM drafts WHERE id = 1').run()
    expect(released(db)).toEqual(['a'])
  },
})

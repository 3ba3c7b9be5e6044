import { expect } from 'vitest'
import { releasedAttachmentFiles } from '../../../main/mail/db/migrations/0016-released-attachment-files'
import { describeMigration, type Db } from '../../support/migrations'

const [A, B, C] = ['a', 'b', 'c'].map((c) => c.repeat(64)) as [string, string, string]

const released = (db: Db) =>
  (
    db.prepare('SELECT sha256 FROM released_attachments ORDER BY sha256').all() as {
      sha256: string
    }[]
  ).map((r) => r.sha256[0])

describeMigration(releasedAttachmentFiles, {
  checks(db) {
    // Schema 1's message 2 carries files A and B (receipt.pdf, logo.png).
    expect(released(db)).toEqual([])
    db.prepare('DELETE FROM messages WHERE id = 2').run()
    expect(released(db)).toEqual(['a', 'b'])

    // A chat file, once downloaded, and a draft's files are noted when let go of.
    db.prepare('DELETE FROM released_attachments').run()
    db.prepare(
      `INSERT INTO chat_attachments (id, message_id, url, filename, sha256, state)
       VALUES (1, 1, 'https://x/f', 'f.txt', ?, 'stored')`,
    ).run(C)
    db.prepare(
      `INSERT INTO chat_attachments (id, message_id, url, filename) VALUES (2, 1, 'https://x/g', 'g.txt')`,
    ).run()
    db.prepare('DELETE FROM chat_attachments WHERE id = 2').run() // never downloaded: no file
    expect(released(db)).toEqual([])
    db.prepare('DELETE FROM chat_messages WHERE id = 1').run()
    expect(released(db)).toEqual(['c'])

    db.prepare('DELETE FROM released_attachments').run()
    const files = (...shas: string[]) =>
      JSON.stringify(
        shas.map((sha256, i) => ({
          key: `k${i}`,
          sha256,
          filename: 'f',
          mimeType: 'x/y',
          size: 1,
        })),
      )
    db.prepare(
      `INSERT INTO drafts (id, message_id_header, kind, attachments_json, updated_at, created_at)
       VALUES (1, '<d@x>', 'new', ?, 1, 1)`,
    ).run(files(A, B))
    db.prepare('UPDATE drafts SET attachments_json = ? WHERE id = 1').run(files(A))
    expect(released(db)).toEqual(['a', 'b']) // the sweeper checks which one the draft still holds
    db.prepare('DELETE FROM released_attachments').run()
    db.prepare('UPDATE drafts SET subject = ? WHERE id = 1').run('typing')
    expect(released(db)).toEqual([])
    db.prepare('DELETE FROM drafts WHERE id = 1').run()
    expect(released(db)).toEqual(['a'])
  },
})

import { expect } from 'vitest'
import { draftsAndSources } from '../../../main/mail/db/migrations/0013-drafts-and-sources'
import { describeMigration, putTestSource } from '../../support/migrations'

describeMigration(draftsAndSources, {
  checks(db) {
    const sha = 'c'.repeat(64)
    putTestSource(db, sha)
    db.prepare('UPDATE messages SET source_sha256 = ?, parse_note = ? WHERE id = 1').run(
      sha,
      'damaged',
    )
    expect(() =>
      db.prepare('UPDATE messages SET source_sha256 = ? WHERE id = 2').run('d'.repeat(64)),
    ).toThrow(/FOREIGN KEY/)
    const draft = db.prepare(
      `INSERT INTO drafts (account_id, message_id_header, kind, source_message_id, subject, updated_at, created_at)
       VALUES (2, ?, ?, 1, 'Re: Budget review', 1, 1)`,
    )
    draft.run('<d1@x>', 'reply')
    expect(() => draft.run('<d2@x>', 'shout')).toThrow(/CHECK/)
    expect(() => draft.run('<d1@x>', 'new')).toThrow(/UNIQUE/)
    db.prepare(`INSERT INTO signatures (account_id, html) VALUES (2, '<p>— Me</p>')`).run()
    // The message replied to may go; the draft stays. The account may go; its signature goes.
    db.prepare('DELETE FROM messages WHERE id = 1').run()
    expect(db.prepare('SELECT source_message_id FROM drafts').get()).toEqual({
      source_message_id: null,
    })
    db.prepare('DELETE FROM accounts WHERE id = 2').run()
    expect(db.prepare('SELECT count(*) AS n FROM signatures').get()).toEqual({ n: 0 })
    expect(db.prepare('SELECT account_id FROM drafts').get()).toEqual({ account_id: null })
  },
})

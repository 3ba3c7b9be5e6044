import { expect } from 'vitest'
import { chatRoster } from '../../../main/mail/db/migrations/0007-chat-roster'
import { describeMigration } from '../../support/migrations'

describeMigration(chatRoster, {
  seed(db) {
    db.prepare(
      `INSERT INTO chat_attachments (message_id, url, filename) VALUES (2, 'https://f.example/x', 'x')`,
    ).run()
  },
  checks(db) {
    db.prepare(
      `INSERT INTO chat_contacts (account_id, jid, subscription) VALUES (2, 'bob@example.com', 'both')`,
    ).run()
    db.prepare(`INSERT INTO chat_sync (account_id, archive_last_id) VALUES (2, 'abc')`).run()
    expect(() =>
      db
        .prepare(
          `INSERT INTO chat_contacts (account_id, jid, subscription) VALUES (2, 'x@example.com', 'maybe')`,
        )
        .run(),
    ).toThrow(/CHECK/)
    db.prepare('DELETE FROM accounts WHERE id = 2').run()
    expect(
      db
        .prepare(
          'SELECT (SELECT count(*) FROM chat_contacts) + (SELECT count(*) FROM chat_sync) AS n',
        )
        .get(),
    ).toEqual({ n: 0 })
  },
})

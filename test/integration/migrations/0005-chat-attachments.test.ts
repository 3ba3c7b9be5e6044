import { expect } from 'vitest'
import { chatAttachments } from '../../../main/mail/db/migrations/0005-chat-attachments'
import { describeMigration } from '../../support/migrations'

describeMigration(chatAttachments, {
  checks(db) {
    db.prepare(
      `INSERT INTO chat_attachments (message_id, url, filename) VALUES (1, 'https://f.example/a.png', 'a.png')`,
    ).run()
    expect(() =>
      db
        .prepare(
          `INSERT INTO chat_attachments (message_id, url, filename, sha256) VALUES (1, 'https://f.example/b', 'b', 'short')`,
        )
        .run(),
    ).toThrow(/CHECK/)
    db.prepare('DELETE FROM chat_messages WHERE id = 1').run()
    expect(db.prepare('SELECT count(*) AS n FROM chat_attachments').get()).toEqual({ n: 0 })
  },
})

import { expect } from 'vitest'
import { searchChats } from '../../../main/chat/store/search'
import { chatSearch } from '../../../main/mail/db/migrations/0006-chat-search'
import { describeMigration } from '../../support/migrations'

describeMigration(chatSearch, {
  seed(db) {
    db.prepare(
      `INSERT INTO chat_attachments (message_id, url, filename) VALUES (3, 'https://f.example/s.pdf', 's.pdf')`,
    ).run()
  },
  checks(db) {
    // Messages stored before the index existed are found; new ones are indexed as they come.
    expect(searchChats(db, 'stand', 10).map((h) => h.messageId)).toEqual([3])
    db.prepare(
      `INSERT INTO chat_messages (chat_id, ord, direction, sender, body, sent_at, received_at) VALUES (1, 9, 'in', 'bob@example.com', 'standing ovation', 9, 9)`,
    ).run()
    expect(searchChats(db, 'standing', 10)).toHaveLength(1)
    db.prepare('DELETE FROM chat_messages WHERE id = 3').run()
    expect(searchChats(db, 'standup', 10)).toEqual([])
  },
})

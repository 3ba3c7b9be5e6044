import { expect } from 'vitest'
import { chatMessages } from '../../../main/mail/db/migrations/0004-chat-messages'
import { describeMigration } from '../../support/migrations'

describeMigration(chatMessages, {
  checks(db) {
    // stanza ids become origin ids; `delivered` becomes the delivery state; the
    // chat's unread count marks its newest incoming messages unseen.
    expect(
      db.prepare('SELECT id, ord, origin_id, state, seen FROM chat_messages ORDER BY id').all(),
    ).toEqual([
      { id: 1, ord: 1, origin_id: 's1', state: 'received', seen: 0 },
      { id: 2, ord: 2, origin_id: 's2', state: 'sent', seen: 1 },
      { id: 3, ord: 3, origin_id: 's3', state: 'received', seen: 1 },
    ])
    expect(db.prepare('SELECT id, unread FROM chats ORDER BY id').all()).toEqual([
      { id: 1, unread: 1 },
      { id: 2, unread: 0 },
    ])
    const insert = db.prepare(
      `INSERT INTO chat_messages (chat_id, ord, direction, sender, origin_id, body, sent_at, received_at)
       VALUES (1, 9, 'in', 'bob@example.com', ?, 'again', 9, 9)`,
    )
    expect(() => insert.run('s1')).toThrow(/UNIQUE/)
  },
})

import { expect } from 'vitest'
import { chatConversations } from '../../../main/mail/db/migrations/0003-chat-conversations'
import { describeMigration } from '../../support/migrations'

describeMigration(chatConversations, {
  checks(db) {
    expect(
      db
        .prepare('SELECT id, peer, kind, nick, joined, archive_complete FROM chats ORDER BY id')
        .all(),
    ).toEqual([
      {
        id: 1,
        peer: 'bob@example.com',
        kind: 'direct',
        nick: null,
        joined: 0,
        archive_complete: 0,
      },
      {
        id: 2,
        peer: 'team@rooms.example.com',
        kind: 'group',
        nick: null,
        joined: 0,
        archive_complete: 0,
      },
    ])
    expect(() => db.prepare(`UPDATE chats SET joined = 'yes' WHERE id = 2`).run()).toThrow(
      /cannot store TEXT/,
    )
    // chat_messages kept its rows through the rebuild of its parent table.
    expect(db.prepare('SELECT count(*) AS n FROM chat_messages').get()).toEqual({ n: 3 })
  },
})

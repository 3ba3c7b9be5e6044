import { expect } from 'vitest'
import { syncActions } from '../../../main/mail/db/migrations/0009-sync-actions'
import { describeMigration } from '../../support/migrations'

describeMigration(syncActions, {
  checks(db) {
    db.prepare(
      `INSERT INTO sync_actions (account_id, kind, message_id, imap_path, uidvalidity, uid, created_at)
       VALUES (2, 'move', 3, 'INBOX', 7, 10, 1)`,
    ).run()
    expect(() =>
      db
        .prepare(
          `INSERT INTO sync_actions (account_id, kind, message_id, imap_path, uidvalidity, uid, created_at)
           VALUES (2, 'explode', 3, 'INBOX', 7, 10, 1)`,
        )
        .run(),
    ).toThrow(/CHECK/)
    // Deleting the message keeps its queued action (a delete must still reach
    // the server) but forgets the local row it pointed at.
    db.prepare('DELETE FROM messages WHERE id = 3').run()
    expect(db.prepare('SELECT message_id FROM sync_actions').get()).toEqual({ message_id: null })
    // Removing the account removes its queue.
    db.prepare('DELETE FROM accounts WHERE id = 2').run()
    expect(db.prepare('SELECT count(*) AS n FROM sync_actions').get()).toEqual({ n: 0 })
  },
})

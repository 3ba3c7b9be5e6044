import { expect } from 'vitest'
import { remoteMessages } from '../../../main/mail/db/migrations/0008-remote-messages'
import { describeMigration, putTestSource } from '../../support/migrations'

describeMigration(remoteMessages, {
  checks(db) {
    // Imported mail is untouched: no remote rows are invented for it.
    expect(db.prepare('SELECT count(*) AS n FROM remote_messages').get()).toEqual({ n: 0 })
    const sha = 'a'.repeat(64)
    putTestSource(db, sha)
    db.prepare(
      `INSERT INTO remote_folders (folder_id, account_id, imap_path, uidvalidity) VALUES (3, 2, 'INBOX', 7)`,
    ).run()
    const remote = db.prepare(
      `INSERT INTO remote_messages (message_id, account_id, folder_id, uidvalidity, uid, state, source_sha256)
       VALUES (?, 2, 3, 7, ?, 'full', ?)`,
    )
    remote.run(3, 10, sha)
    // (account, folder, uidvalidity, uid) is a key.
    expect(() => remote.run(1, 10, sha)).toThrow(/UNIQUE/)
    // STRICT: a UID must be an integer.
    expect(() => remote.run(1, 'ten', sha)).toThrow(/cannot store TEXT value in INTEGER column/)
    expect(() =>
      db
        .prepare(
          `INSERT INTO remote_messages (message_id, account_id, folder_id, uidvalidity, uid, state)
           VALUES (1, 2, 3, 7, 11, 'half')`,
        )
        .run(),
    ).toThrow(/CHECK/)
    // A message that goes away takes its remote row with it.
    db.prepare('DELETE FROM messages WHERE id = 3').run()
    expect(db.prepare('SELECT count(*) AS n FROM remote_messages').get()).toEqual({ n: 0 })
    // An account that goes away takes its folders' sync state with it.
    db.prepare('DELETE FROM accounts WHERE id = 2').run()
    expect(db.prepare('SELECT count(*) AS n FROM remote_folders').get()).toEqual({ n: 0 })
  },
})

import { expect } from 'vitest'
import { outbox } from '../../../main/mail/db/migrations/0010-outbox'
import { describeMigration, putTestSource } from '../../support/migrations'

describeMigration(outbox, {
  checks(db) {
    const sha = 'a'.repeat(64)
    putTestSource(db, sha)
    const queue = db.prepare(
      `INSERT INTO outbox (account_id, message_id_header, envelope_from, envelope_to, source_sha256,
                           state, next_attempt_at, created_at)
       VALUES (2, ?, 'me@example.com', '["you@example.com"]', ?, 'queued', 0, 1)`,
    )
    queue.run('<m@x>', sha)
    // Its message bytes must exist.
    expect(() => queue.run('<n@x>', 'b'.repeat(64))).toThrow(/FOREIGN KEY/)
    // Removing the account removes its outbox.
    db.prepare('DELETE FROM accounts WHERE id = 2').run()
    expect(db.prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 0 })
  },
})

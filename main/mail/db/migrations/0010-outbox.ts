import type { Migration } from '../migration.js'

/**
 * The outbox: every message the user sends is stored here (its bytes in
 * message_sources) before any network is touched, and leaves only once the
 * server accepted it and a copy is in Sent. A row that was 'sending' when
 * the app stopped is retried at the next start; the stored bytes keep the
 * same Message-ID, so a resend after a lost answer is recognisable.
 */
export const outbox: Migration = {
  version: 10,
  name: 'outbox for SMTP send',
  up(db) {
    db.exec(`
      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        message_id_header TEXT NOT NULL,
        envelope_from TEXT NOT NULL,
        envelope_to TEXT NOT NULL,
        subject TEXT NOT NULL DEFAULT '',
        source_sha256 TEXT NOT NULL REFERENCES message_sources(sha256),
        state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
        sent_copy TEXT NOT NULL DEFAULT 'pending' CHECK (sent_copy IN ('pending', 'done', 'not_needed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        sent_at INTEGER
      ) STRICT;
      CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
    `)
  },
}

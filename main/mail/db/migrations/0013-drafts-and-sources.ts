import type { Migration } from '../migration.js'

/**
 * Composing mail and reading it whole, issue 11.
 *
 * - `messages.source_sha256`: the raw bytes of an imported message (in
 *   message_sources, as synced mail's already are), for "view source" and
 *   the reader's fallback for damaged MIME. Messages imported before this
 *   step have none (the reader says so).
 * - `messages.parse_note`: what was wrong with a damaged message's MIME
 *   (the reader says it shows recovered text, and offers the raw message).
 * - `drafts`: messages being written. Saved locally as the user types, and
 *   for mail accounts copied to the server's Drafts folder (the copy's
 *   folder, UIDVALIDITY and UID are kept to replace it on the next save).
 *   Attachments are files in the attachment store, named by SHA-256.
 * - `signatures`: one per sending identity (a mail account), as HTML.
 */
export const draftsAndSources: Migration = {
  version: 13,
  name: 'drafts, signatures, kept sources',
  up(db) {
    db.exec(`
      ALTER TABLE messages ADD COLUMN source_sha256 TEXT REFERENCES message_sources(sha256);
      ALTER TABLE messages ADD COLUMN parse_note TEXT;

      CREATE TABLE drafts (
        id INTEGER PRIMARY KEY,
        account_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
        message_id_header TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('new', 'reply', 'replyAll', 'forward')),
        -- The message replied to or forwarded, while it exists.
        source_message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
        to_json TEXT NOT NULL DEFAULT '[]',
        cc_json TEXT NOT NULL DEFAULT '[]',
        bcc_json TEXT NOT NULL DEFAULT '[]',
        subject TEXT NOT NULL DEFAULT '',
        html TEXT NOT NULL DEFAULT '',
        in_reply_to TEXT NOT NULL DEFAULT '',
        references_json TEXT NOT NULL DEFAULT '[]',
        attachments_json TEXT NOT NULL DEFAULT '[]',
        server_path TEXT,
        server_uidvalidity INTEGER,
        server_uid INTEGER,
        -- When the text last changed, and when the server copy was last made.
        updated_at INTEGER NOT NULL,
        uploaded_at INTEGER,
        upload_error TEXT,
        created_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE signatures (
        account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
        html TEXT NOT NULL
      ) STRICT;
    `)
  },
}

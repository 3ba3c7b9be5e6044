import type { Migration } from '../migration.js'

/**
 * The durable queue of local actions (flags, moves, deletes) waiting to be
 * replayed to the server. The local change and its queue row are written in
 * one transaction, so an action survives a quit, a crash and a lost
 * connection. Each row names the server copy it acts on (folder path,
 * UIDVALIDITY, UID) as it was when the user acted: a deleted message has no
 * local row left to ask.
 */
export const syncActions: Migration = {
  version: 9,
  name: 'durable queue of local mail actions',
  up(db) {
    db.exec(`
      CREATE TABLE sync_actions (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('flags', 'move', 'delete')),
        -- The local message, while it exists (a move keeps it, a delete removes it).
        message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
        imap_path TEXT NOT NULL,
        uidvalidity INTEGER NOT NULL,
        uid INTEGER NOT NULL CHECK (uid > 0),
        payload TEXT NOT NULL DEFAULT '{}',
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX sync_actions_by_account ON sync_actions (account_id, id);
      CREATE INDEX sync_actions_by_server_copy ON sync_actions (account_id, imap_path, uidvalidity, uid);
    `)
  },
}

import type { Migration } from '../migration.js'

/**
 * The contact list of each chat account (the server's roster, XEP-less
 * RFC 6121: subscription state, our pending request, theirs awaiting an
 * answer, groups) and each account's sync position: the newest archive id
 * stored, where the next catch-up from the server's archive (MAM) starts,
 * and the roster version for incremental roster fetches. Presence is not
 * stored: it is only true while connected.
 */
export const chatRoster: Migration = {
  version: 7,
  name: 'chat contacts and sync state',
  up(db) {
    db.exec(`
      CREATE TABLE chat_contacts (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        jid TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        subscription TEXT NOT NULL DEFAULT 'none' CHECK (subscription IN ('none', 'to', 'from', 'both')),
        ask INTEGER NOT NULL DEFAULT 0 CHECK (ask IN (0, 1)),
        incoming_request INTEGER NOT NULL DEFAULT 0 CHECK (incoming_request IN (0, 1)),
        in_roster INTEGER NOT NULL DEFAULT 1 CHECK (in_roster IN (0, 1)),
        groups_json TEXT NOT NULL DEFAULT '[]',
        UNIQUE (account_id, jid)
      ) STRICT;

      CREATE TABLE chat_sync (
        account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
        archive_last_id TEXT,
        archive_synced_at INTEGER,
        roster_version TEXT
      ) STRICT;
    `)
  },
}

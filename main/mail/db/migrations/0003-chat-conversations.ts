import type { Migration } from '../migration.js'

/**
 * Chats for XMPP: one row per conversation of an account, with a contact
 * (direct) or a group chat room (XEP-0045), keyed by the peer's bare JID.
 * Rooms keep the user's nickname and whether to rejoin on connect;
 * `archive_complete` records that scrolling back reached the start of the
 * server's archive. The table is rebuilt (STRICT, new columns), with
 * foreign keys off so chat_messages keeps its rows.
 */
export const chatConversations: Migration = {
  version: 3,
  name: 'chat conversations and group chat rooms',
  foreignKeys: 'off',
  up(db) {
    db.exec(`
      CREATE TABLE chats_new (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        peer TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT 'direct' CHECK (kind IN ('direct', 'group')),
        name TEXT NOT NULL DEFAULT '',
        nick TEXT,
        joined INTEGER NOT NULL DEFAULT 0 CHECK (joined IN (0, 1)),
        last_message_at INTEGER,
        unread INTEGER NOT NULL DEFAULT 0,
        archive_complete INTEGER NOT NULL DEFAULT 0 CHECK (archive_complete IN (0, 1)),
        created_at INTEGER NOT NULL DEFAULT 0,
        UNIQUE (account_id, peer)
      ) STRICT;
      INSERT INTO chats_new (id, account_id, peer, kind, name, last_message_at, unread)
        SELECT id, account_id, peer, kind, name, last_message_at, unread FROM chats;
      DROP TABLE chats;
      ALTER TABLE chats_new RENAME TO chats;
      CREATE INDEX chats_by_account_recent ON chats (account_id, last_message_at DESC);
    `)
  },
}

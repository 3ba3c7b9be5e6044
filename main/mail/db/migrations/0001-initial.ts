import type { Migration } from '../migration.js'

/**
 * The first schema: accounts, folders, messages with their bodies, attachments
 * (metadata; the bytes live once each in the profile's attachments/ folder,
 * named by SHA-256), contacts, chats, and an FTS5 index over subject,
 * participants and body text. Folder counts are kept by triggers so that the
 * folder tree never counts 150k rows.
 */
export const initialSchema: Migration = {
  version: 1,
  name: 'initial schema',
  up(db) {
    db.exec(`
      CREATE TABLE accounts (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('local', 'imap')),
        name TEXT NOT NULL,
        email TEXT,
        created_at INTEGER NOT NULL
      );

      CREATE TABLE folders (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        parent_id INTEGER REFERENCES folders(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        path TEXT NOT NULL,
        special_use TEXT,
        total INTEGER NOT NULL DEFAULT 0,
        unread INTEGER NOT NULL DEFAULT 0,
        uid_validity INTEGER,
        uid_next INTEGER,
        highest_modseq TEXT,
        UNIQUE (account_id, path)
      );

      CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
        uid INTEGER,
        message_id TEXT NOT NULL DEFAULT '',
        content_hash TEXT NOT NULL,
        thread_id INTEGER,
        in_reply_to TEXT NOT NULL DEFAULT '',
        references_json TEXT NOT NULL DEFAULT '[]',
        subject TEXT NOT NULL DEFAULT '',
        from_name TEXT NOT NULL DEFAULT '',
        from_address TEXT NOT NULL DEFAULT '',
        to_json TEXT NOT NULL DEFAULT '[]',
        cc_json TEXT NOT NULL DEFAULT '[]',
        participants TEXT NOT NULL DEFAULT '',
        date INTEGER NOT NULL,
        seen INTEGER NOT NULL DEFAULT 0,
        flagged INTEGER NOT NULL DEFAULT 0,
        answered INTEGER NOT NULL DEFAULT 0,
        draft INTEGER NOT NULL DEFAULT 0,
        snippet TEXT NOT NULL DEFAULT '',
        body_text TEXT NOT NULL DEFAULT '',
        body_html TEXT,
        size INTEGER NOT NULL,
        has_attachments INTEGER NOT NULL DEFAULT 0,
        UNIQUE (folder_id, message_id, content_hash)
      );
      CREATE INDEX messages_by_folder_date ON messages (folder_id, date DESC, id DESC);
      CREATE INDEX messages_by_message_id ON messages (message_id);
      CREATE INDEX messages_by_in_reply_to ON messages (in_reply_to);
      CREATE INDEX messages_by_thread ON messages (thread_id);

      CREATE TABLE attachments (
        id INTEGER PRIMARY KEY,
        message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        filename TEXT NOT NULL,
        mime_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        content_id TEXT,
        disposition TEXT NOT NULL CHECK (disposition IN ('attachment', 'inline'))
      );
      CREATE INDEX attachments_by_message ON attachments (message_id);
      CREATE INDEX attachments_by_sha256 ON attachments (sha256);

      CREATE TABLE contacts (
        id INTEGER PRIMARY KEY,
        address TEXT NOT NULL UNIQUE COLLATE NOCASE,
        name TEXT NOT NULL DEFAULT '',
        message_count INTEGER NOT NULL DEFAULT 0,
        last_seen INTEGER
      );

      CREATE TABLE chats (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        peer TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        kind TEXT NOT NULL DEFAULT 'direct' CHECK (kind IN ('direct', 'group')),
        last_message_at INTEGER,
        unread INTEGER NOT NULL DEFAULT 0,
        UNIQUE (account_id, peer)
      );

      CREATE TABLE chat_messages (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
        stanza_id TEXT,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        sender TEXT NOT NULL,
        body TEXT NOT NULL,
        sent_at INTEGER NOT NULL,
        delivered INTEGER NOT NULL DEFAULT 0,
        UNIQUE (chat_id, stanza_id)
      );
      CREATE INDEX chat_messages_by_chat_time ON chat_messages (chat_id, sent_at);

      -- Full-text index over the messages table (external content: the text
      -- is stored once, in messages). Prefix indexes make search-as-you-type
      -- queries ("inv*") cheap.
      CREATE VIRTUAL TABLE messages_fts USING fts5(
        subject, participants, body_text,
        content = 'messages', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2',
        prefix = '2 3'
      );

      CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts (rowid, subject, participants, body_text)
        VALUES (NEW.id, NEW.subject, NEW.participants, NEW.body_text);
      END;
      CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, subject, participants, body_text)
        VALUES ('delete', OLD.id, OLD.subject, OLD.participants, OLD.body_text);
      END;
      CREATE TRIGGER messages_fts_update AFTER UPDATE OF subject, participants, body_text ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, subject, participants, body_text)
        VALUES ('delete', OLD.id, OLD.subject, OLD.participants, OLD.body_text);
        INSERT INTO messages_fts (rowid, subject, participants, body_text)
        VALUES (NEW.id, NEW.subject, NEW.participants, NEW.body_text);
      END;

      CREATE TRIGGER folder_counts_insert AFTER INSERT ON messages BEGIN
        UPDATE folders SET total = total + 1, unread = unread + (NEW.seen = 0)
        WHERE id = NEW.folder_id;
      END;
      CREATE TRIGGER folder_counts_delete AFTER DELETE ON messages BEGIN
        UPDATE folders SET total = total - 1, unread = unread - (OLD.seen = 0)
        WHERE id = OLD.folder_id;
      END;
      CREATE TRIGGER folder_counts_update AFTER UPDATE OF seen, folder_id ON messages BEGIN
        UPDATE folders SET total = total - 1, unread = unread - (OLD.seen = 0)
        WHERE id = OLD.folder_id;
        UPDATE folders SET total = total + 1, unread = unread + (NEW.seen = 0)
        WHERE id = NEW.folder_id;
      END;
    `)
  },
}

import type { Migration } from '../migration.js'

/**
 * Full-text index over chat messages, built like the mail index
 * (messages_fts): external content (the text lives once, in
 * chat_messages), the same tokenizer and prefix indexes, kept in step by
 * triggers. Messages stored before this step are indexed by it.
 */
export const chatSearch: Migration = {
  version: 6,
  name: 'full-text index for chat messages',
  up(db) {
    db.exec(`
      CREATE VIRTUAL TABLE chat_messages_fts USING fts5(
        body,
        content = 'chat_messages', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2',
        prefix = '2 3'
      );
      INSERT INTO chat_messages_fts (chat_messages_fts) VALUES ('rebuild');

      CREATE TRIGGER chat_messages_fts_insert AFTER INSERT ON chat_messages BEGIN
        INSERT INTO chat_messages_fts (rowid, body) VALUES (NEW.id, NEW.body);
      END;
      CREATE TRIGGER chat_messages_fts_delete AFTER DELETE ON chat_messages BEGIN
        INSERT INTO chat_messages_fts (chat_messages_fts, rowid, body) VALUES ('delete', OLD.id, OLD.body);
      END;
      CREATE TRIGGER chat_messages_fts_update AFTER UPDATE OF body ON chat_messages BEGIN
        INSERT INTO chat_messages_fts (chat_messages_fts, rowid, body) VALUES ('delete', OLD.id, OLD.body);
        INSERT INTO chat_messages_fts (rowid, body) VALUES (NEW.id, NEW.body);
      END;
    `)
  },
}

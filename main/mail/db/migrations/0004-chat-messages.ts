import type { Migration } from '../migration.js'

/**
 * Chat messages as XMPP delivers them, each stored once:
 * - `origin_id` is the sender's id for the message (XEP-0359 origin-id, or
 *   the stanza id), unique per chat and sender: the live copy, a carbon, a
 *   resend after a failed stream resumption and the archive's copy are one
 *   message;
 * - `archive_id` is the id the server's archive (MAM) gave it, unique per chat;
 * - `ord` is the display order within the chat (arrival order; older pages
 *   fetched by scrolling back go before the first);
 * - `state` is the delivery state of outgoing messages (queued → sent: the
 *   server acknowledged it → delivered: a receipt → read: a chat marker),
 *   `seen` whether the user has read an incoming one.
 * Triggers keep each chat's unread count and last message time.
 */
export const chatMessages: Migration = {
  version: 4,
  name: 'chat messages with delivery state, deduplicated by stanza and archive ids',
  foreignKeys: 'off',
  up(db) {
    db.exec(`
      CREATE TABLE chat_messages_new (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
        ord INTEGER NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        sender TEXT NOT NULL,
        origin_id TEXT,
        archive_id TEXT,
        body TEXT NOT NULL,
        sent_at INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'received'
          CHECK (state IN ('queued', 'sent', 'delivered', 'read', 'received', 'failed')),
        seen INTEGER NOT NULL DEFAULT 0 CHECK (seen IN (0, 1)),
        error TEXT
      ) STRICT;
      INSERT INTO chat_messages_new
          (id, chat_id, ord, direction, sender, origin_id, body, sent_at, received_at, state, seen)
        SELECT id, chat_id, id, direction, sender, stanza_id, body, sent_at, sent_at,
               CASE WHEN direction = 'in' THEN 'received'
                    WHEN delivered <> 0 THEN 'delivered' ELSE 'sent' END,
               1
          FROM chat_messages;
      DROP TABLE chat_messages;
      ALTER TABLE chat_messages_new RENAME TO chat_messages;
      CREATE INDEX chat_messages_by_chat_ord ON chat_messages (chat_id, ord);
      CREATE UNIQUE INDEX chat_messages_by_origin ON chat_messages (chat_id, sender, origin_id)
        WHERE origin_id IS NOT NULL;
      CREATE UNIQUE INDEX chat_messages_by_archive ON chat_messages (chat_id, archive_id)
        WHERE archive_id IS NOT NULL;
      CREATE INDEX chat_messages_queued ON chat_messages (state) WHERE state = 'queued';

      CREATE TRIGGER chat_counts_insert AFTER INSERT ON chat_messages BEGIN
        UPDATE chats SET
          unread = unread + (NEW.direction = 'in' AND NEW.seen = 0),
          last_message_at = max(coalesce(last_message_at, 0), NEW.sent_at)
        WHERE id = NEW.chat_id;
      END;
      CREATE TRIGGER chat_counts_delete AFTER DELETE ON chat_messages BEGIN
        UPDATE chats SET unread = unread - (OLD.direction = 'in' AND OLD.seen = 0)
        WHERE id = OLD.chat_id;
      END;
      CREATE TRIGGER chat_counts_seen AFTER UPDATE OF seen ON chat_messages BEGIN
        UPDATE chats SET unread = unread
          - (OLD.direction = 'in' AND OLD.seen = 0) + (NEW.direction = 'in' AND NEW.seen = 0)
        WHERE id = NEW.chat_id;
      END;
    `)
    // The old table had only a per-chat unread count: its newest incoming messages are the unread ones.
    db.exec(`UPDATE chat_messages SET seen = 0 WHERE direction = 'in' AND id IN (
               SELECT m.id FROM chat_messages m JOIN chats c ON c.id = m.chat_id
                WHERE m.direction = 'in'
                  AND (SELECT count(*) FROM chat_messages n
                        WHERE n.chat_id = m.chat_id AND n.direction = 'in' AND n.ord > m.ord) < c.unread)`)
    // Counts as the triggers would have kept them.
    db.exec(`UPDATE chats SET unread = (SELECT count(*) FROM chat_messages m
               WHERE m.chat_id = chats.id AND m.direction = 'in' AND m.seen = 0)`)
  },
}

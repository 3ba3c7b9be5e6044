import { refsOf, threadComponents } from '../../threads/thread-links.js'
import type { Migration } from '../migration.js'

/**
 * Conversations and sorted lists, issue 11.
 *
 * - `message_refs`: every Message-ID a message points at (References and
 *   In-Reply-To), indexed by that id, so a message arriving late finds
 *   the replies that came before it (and messages sharing an ancestor
 *   Cairn does not have find each other): JWZ's linking, kept up to date
 *   one message at a time by the store (threads/thread-links.ts). Thread
 *   ids are recomputed here for every stored message by the same rule
 *   (they were set from In-Reply-To alone).
 * - `folder_threads`: one row per conversation per folder (newest date,
 *   number of messages, unread ones), kept by triggers, so the threaded
 *   list of a 150,000-message folder pages like the flat one.
 * - Indexes for the list's sort orders (sender, subject, size) and for a
 *   thread's messages in a folder.
 */
export const threadsAndSorting: Migration = {
  version: 12,
  name: 'threads across folders, sorted lists',
  up(db) {
    db.exec(`
      CREATE TABLE message_refs (
        message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        ref TEXT NOT NULL,
        PRIMARY KEY (message_id, ref)
      ) STRICT;
      CREATE INDEX message_refs_by_ref ON message_refs (ref);

      CREATE INDEX messages_by_folder_thread ON messages (folder_id, thread_id, date);
      CREATE INDEX messages_by_folder_sender ON messages (
        folder_id, lower(CASE WHEN from_name <> '' THEN from_name ELSE from_address END), id);
      CREATE INDEX messages_by_folder_subject ON messages (folder_id, subject COLLATE NOCASE, id);
      CREATE INDEX messages_by_folder_size ON messages (folder_id, size, id);

      CREATE TABLE folder_threads (
        folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
        thread_id INTEGER NOT NULL,
        last_date INTEGER NOT NULL,
        messages INTEGER NOT NULL CHECK (messages > 0),
        unread INTEGER NOT NULL CHECK (unread >= 0),
        PRIMARY KEY (folder_id, thread_id)
      ) STRICT;
      CREATE INDEX folder_threads_by_date ON folder_threads (folder_id, last_date, thread_id);
    `)

    const refsInsert = db.prepare(
      'INSERT OR IGNORE INTO message_refs (message_id, ref) VALUES (?, ?)',
    )
    const rows = db
      .prepare<
        [],
        { id: number; message_id: string; in_reply_to: string; references_json: string }
      >('SELECT id, message_id, in_reply_to, references_json FROM messages')
      .all()
    const linked = rows.map((row) => {
      let references: string[] = []
      try {
        const parsed = JSON.parse(row.references_json) as unknown
        if (Array.isArray(parsed))
          references = parsed.filter((r): r is string => typeof r === 'string')
      } catch {
        // a broken list counts as none
      }
      const refs = refsOf({ references, inReplyTo: row.in_reply_to })
      for (const ref of refs) refsInsert.run(row.id, ref)
      return { id: row.id, messageId: row.message_id, refs }
    })
    const setThread = db.prepare(
      'UPDATE messages SET thread_id = ? WHERE id = ? AND thread_id IS NOT ?',
    )
    for (const [id, thread] of threadComponents(linked)) setThread.run(thread, id, thread)

    db.exec(`
      INSERT INTO folder_threads (folder_id, thread_id, last_date, messages, unread)
        SELECT folder_id, thread_id, max(date), count(*), sum(seen = 0)
          FROM messages WHERE thread_id IS NOT NULL GROUP BY folder_id, thread_id;

      CREATE TRIGGER folder_threads_insert AFTER INSERT ON messages
        WHEN NEW.thread_id IS NOT NULL BEGIN
        INSERT INTO folder_threads (folder_id, thread_id, last_date, messages, unread)
        VALUES (NEW.folder_id, NEW.thread_id, NEW.date, 1, NEW.seen = 0)
        ON CONFLICT (folder_id, thread_id) DO UPDATE SET
          last_date = max(last_date, excluded.last_date),
          messages = messages + 1,
          unread = unread + excluded.unread;
      END;

      CREATE TRIGGER folder_threads_delete AFTER DELETE ON messages
        WHEN OLD.thread_id IS NOT NULL BEGIN
        DELETE FROM folder_threads
         WHERE folder_id = OLD.folder_id AND thread_id = OLD.thread_id AND messages <= 1;
        UPDATE folder_threads SET
          messages = messages - 1,
          unread = unread - (OLD.seen = 0),
          last_date = coalesce((SELECT max(date) FROM messages
                                 WHERE folder_id = OLD.folder_id AND thread_id = OLD.thread_id), 0)
         WHERE folder_id = OLD.folder_id AND thread_id = OLD.thread_id;
      END;

      -- A message that changes thread, folder, read state or date leaves its
      -- old (folder, thread) row and joins its new one.
      CREATE TRIGGER folder_threads_update AFTER UPDATE OF thread_id, folder_id, seen, date ON messages
        BEGIN
        DELETE FROM folder_threads
         WHERE OLD.thread_id IS NOT NULL
           AND folder_id = OLD.folder_id AND thread_id = OLD.thread_id AND messages <= 1;
        UPDATE folder_threads SET
          messages = messages - 1,
          unread = unread - (OLD.seen = 0),
          last_date = coalesce((SELECT max(date) FROM messages
                                 WHERE folder_id = OLD.folder_id AND thread_id = OLD.thread_id), 0)
         WHERE OLD.thread_id IS NOT NULL AND folder_id = OLD.folder_id AND thread_id = OLD.thread_id;
        INSERT INTO folder_threads (folder_id, thread_id, last_date, messages, unread)
          SELECT NEW.folder_id, NEW.thread_id, NEW.date, 1, NEW.seen = 0 WHERE NEW.thread_id IS NOT NULL
        ON CONFLICT (folder_id, thread_id) DO UPDATE SET
          last_date = max(last_date, excluded.last_date),
          messages = messages + 1,
          unread = unread + excluded.unread;
      END;
    `)
  },
}

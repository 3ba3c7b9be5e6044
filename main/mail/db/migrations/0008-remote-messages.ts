import type { Migration } from '../migration.js'

/**
 * What IMAP sync needs to know about each folder and message, in new STRICT
 * tables beside the existing ones, so imported mail (Local Folders) is left
 * exactly as it is.
 *
 * - `message_sources`: the raw RFC 822 bytes of synced (and sent) messages,
 *   once per SHA-256 of the bytes, zstd-compressed: "view source" and
 *   re-parsing after a parser fix need no network.
 * - `remote_folders`: the server's name of a folder (its IMAP path and
 *   hierarchy delimiter) and the sync checkpoint: UIDVALIDITY, UIDNEXT,
 *   HIGHESTMODSEQ, and how far down the first, newest-first header pass got.
 * - `remote_messages`: where a local message lives on the server, keyed by
 *   (account, folder, UIDVALIDITY, UID), with its MODSEQ, keywords, and
 *   whether only its headers or the whole message is stored (and why a body
 *   could not be, when it could not).
 */
export const remoteMessages: Migration = {
  version: 8,
  name: 'remote folders and messages for IMAP sync',
  up(db) {
    db.exec(`
      CREATE TABLE message_sources (
        sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
        size INTEGER NOT NULL CHECK (size >= 0),
        compression TEXT NOT NULL CHECK (compression IN ('zstd')),
        content BLOB NOT NULL
      ) STRICT;

      CREATE TABLE remote_folders (
        folder_id INTEGER PRIMARY KEY REFERENCES folders(id) ON DELETE CASCADE,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        imap_path TEXT NOT NULL,
        delimiter TEXT,
        uidvalidity INTEGER,
        uidnext INTEGER,
        highest_modseq INTEGER,
        -- First sync walks down from the newest UID; messages below this UID
        -- still need their headers (0: the walk is complete).
        headers_below INTEGER NOT NULL DEFAULT 0,
        last_synced_at INTEGER,
        UNIQUE (account_id, imap_path)
      ) STRICT;

      CREATE TABLE remote_messages (
        message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
        uidvalidity INTEGER NOT NULL,
        uid INTEGER NOT NULL CHECK (uid > 0),
        modseq INTEGER NOT NULL DEFAULT 0,
        keywords TEXT NOT NULL DEFAULT '[]',
        state TEXT NOT NULL CHECK (state IN ('headers', 'full')),
        source_sha256 TEXT REFERENCES message_sources(sha256),
        -- Why the body cannot be stored (too large, unreadable); the headers stay.
        body_error TEXT,
        UNIQUE (account_id, folder_id, uidvalidity, uid)
      ) STRICT;
      CREATE INDEX remote_messages_by_folder_uid ON remote_messages (folder_id, uid);
      CREATE INDEX remote_messages_headers_only ON remote_messages (folder_id, uid)
        WHERE state = 'headers';
    `)
  },
}

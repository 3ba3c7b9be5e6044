import type { Migration } from '../migration.js'

/**
 * Files shared in chats (XEP-0363 HTTP upload, announced with XEP-0066 out
 * of band data): the HTTPS URL, a sanitised file name, and once downloaded,
 * the local copy in the profile's content-addressed attachment store
 * (attachments/ab/<sha256>), so a file outlives the server's retention and
 * travels in backups.
 */
export const chatAttachments: Migration = {
  version: 5,
  name: 'chat attachments',
  up(db) {
    db.exec(`
      CREATE TABLE chat_attachments (
        id INTEGER PRIMARY KEY,
        message_id INTEGER NOT NULL REFERENCES chat_messages(id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        filename TEXT NOT NULL,
        mime_type TEXT NOT NULL DEFAULT 'application/octet-stream',
        size INTEGER,
        sha256 TEXT CHECK (sha256 IS NULL OR length(sha256) = 64),
        state TEXT NOT NULL DEFAULT 'remote' CHECK (state IN ('remote', 'stored', 'failed')),
        UNIQUE (message_id, url)
      ) STRICT;
      CREATE INDEX chat_attachments_by_sha256 ON chat_attachments (sha256) WHERE sha256 IS NOT NULL;
    `)
  },
}

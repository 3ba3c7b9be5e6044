import type { Migration } from '../migration.js'

const candidate = (sha: string) =>
  `INSERT OR IGNORE INTO released_attachments (sha256) VALUES (${sha});`

/**
 * Attachment files leave the profile with the last row that refers to them.
 *
 * The bytes of attachments live once each in the profile's attachments/
 * folder, named by their SHA-256, referred to by mail attachments, chat
 * files and drafts. Nothing ever removed a file: the attachments of mail the
 * user deleted stayed on disk and in every backup.
 *
 * SQL cannot remove a file, so triggers note each file that may have lost
 * its last reference in `released_attachments`, and the sweeper
 * (attachment-sweep.ts) checks each again and removes the file. The check
 * is the sweeper's, not the trigger's: a draft refers to its files inside
 * JSON, and a file can be taken up again (the same attachment arriving
 * again) between the trigger and the sweep.
 */
export const releasedAttachmentFiles: Migration = {
  version: 16,
  name: 'attachment files released by their last row',
  up(db) {
    db.exec(`
      CREATE TABLE released_attachments (
        sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64)
      ) STRICT;

      CREATE TRIGGER attachments_file_released AFTER DELETE ON attachments
      BEGIN
        ${candidate('OLD.sha256')}
      END;
      CREATE TRIGGER attachments_file_replaced AFTER UPDATE OF sha256 ON attachments
        WHEN OLD.sha256 IS NOT NEW.sha256
      BEGIN
        ${candidate('OLD.sha256')}
      END;

      CREATE TRIGGER chat_attachments_file_released AFTER DELETE ON chat_attachments
        WHEN OLD.sha256 IS NOT NULL
      BEGIN
        ${candidate('OLD.sha256')}
      END;
      CREATE TRIGGER chat_attachments_file_replaced AFTER UPDATE OF sha256 ON chat_attachments
        WHEN OLD.sha256 IS NOT NULL AND OLD.sha256 IS NOT NEW.sha256
      BEGIN
        ${candidate('OLD.sha256')}
      END;

      CREATE TRIGGER drafts_files_released AFTER DELETE ON drafts
      BEGIN
        INSERT OR IGNORE INTO released_attachments (sha256)
          SELECT value ->> '$.sha256' FROM json_each(OLD.attachments_json)
           WHERE length(value ->> '$.sha256') = 64;
      END;
      CREATE TRIGGER drafts_files_replaced AFTER UPDATE OF attachments_json ON drafts
      BEGIN
        INSERT OR IGNORE INTO released_attachments (sha256)
          SELECT value ->> '$.sha256' FROM json_each(OLD.attachments_json)
           WHERE length(value ->> '$.sha256') = 64;
      END;
    `)
  },
}

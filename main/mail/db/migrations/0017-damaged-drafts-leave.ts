import type { Migration } from '../migration.js'

/*
 * The files a draft's attachments JSON names, read without ever failing:
 * JSON that does not parse reads as no entries, and an entry that is not an
 * object with a text sha256 (a bare name, a number, null) is skipped. The
 * CASE steps are evaluated in order, so no JSON function ever sees a value
 * that is not JSON (an AND may be reordered by the query planner).
 */
const namedFiles = `
  SELECT value ->> '$.sha256'
    FROM json_each(CASE WHEN json_valid(OLD.attachments_json) THEN OLD.attachments_json ELSE '[]' END)
   WHERE CASE
           WHEN type IS NOT 'object' THEN 0
           WHEN json_type(value, '$.sha256') IS NOT 'text' THEN 0
           ELSE length(value ->> '$.sha256') = 64
         END`

/**
 * A draft with damaged attachments JSON can be discarded and sent again.
 *
 * Migration 0016's drafts triggers read each entry's sha256 with SQLite's
 * JSON functions, which raise "malformed JSON" for an entry that is a bare
 * string, or for JSON that does not parse: deleting or re-attaching on such
 * a draft failed, so the user could neither discard nor send it. Compose
 * never writes such JSON; a damaged disk or another tool can. These
 * triggers note the same files for well-formed drafts and nothing for the
 * rest; the sweeper's own check (attachment-sweep.ts) still keeps any file
 * a draft names anywhere in its JSON.
 */
export const damagedDraftsLeave: Migration = {
  version: 17,
  name: 'drafts with damaged attachments JSON can be deleted',
  up(db) {
    db.exec(`
      DROP TRIGGER drafts_files_released;
      DROP TRIGGER drafts_files_replaced;

      CREATE TRIGGER drafts_files_released AFTER DELETE ON drafts
      BEGIN
        INSERT OR IGNORE INTO released_attachments (sha256) ${namedFiles};
      END;
      CREATE TRIGGER drafts_files_replaced AFTER UPDATE OF attachments_json ON drafts
      BEGIN
        INSERT OR IGNORE INTO released_attachments (sha256) ${namedFiles};
      END;
    `)
  },
}

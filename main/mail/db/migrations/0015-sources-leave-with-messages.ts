import type { Migration } from '../migration.js'

/** The tables whose rows point at a stored raw message. */
const HOLDERS = ['remote_messages', 'messages', 'outbox'] as const

/** True while some row still points at the source `sha`. */
const stillHeld = (sha: string) =>
  HOLDERS.map((table) => `EXISTS (SELECT 1 FROM ${table} WHERE source_sha256 = ${sha})`).join(
    ' OR ',
  )

const release = (sha: string) =>
  `DELETE FROM message_sources WHERE sha256 = ${sha} AND NOT (${stillHeld(sha)});`

/**
 * A message's raw bytes leave the mailbox with the last row that points at
 * them.
 *
 * `message_sources` keeps each synced, sent or imported message's RFC 822
 * bytes once per SHA-256. Nothing ever removed them: mail expunged on the
 * server, deleted from Trash, dropped by a UIDVALIDITY reset, or gone with
 * its account stayed in the database for good — and in every backup made
 * afterwards, which is not what a user who deleted a message expects.
 *
 * Triggers release a source when the last message, server copy or outbox
 * entry that points at it is deleted (also by a cascade: removing an
 * account, a folder) or pointed elsewhere. They sit in the schema rather
 * than in each code path that deletes, because those paths are many and new
 * ones come. Each holder gets an index on its `source_sha256`, so the check
 * is a lookup, not a scan, even when a UIDVALIDITY reset drops a whole
 * folder. Sources that earlier versions left behind are removed once, here.
 */
export const sourcesLeaveWithMessages: Migration = {
  version: 15,
  name: 'raw messages leave with their last message',
  up(db) {
    for (const table of HOLDERS) {
      db.exec(`
        CREATE INDEX ${table}_by_source ON ${table} (source_sha256)
          WHERE source_sha256 IS NOT NULL;
        CREATE TRIGGER ${table}_source_released AFTER DELETE ON ${table}
          WHEN OLD.source_sha256 IS NOT NULL
        BEGIN
          ${release('OLD.source_sha256')}
        END;
        CREATE TRIGGER ${table}_source_replaced AFTER UPDATE OF source_sha256 ON ${table}
          WHEN OLD.source_sha256 IS NOT NULL AND OLD.source_sha256 IS NOT NEW.source_sha256
        BEGIN
          ${release('OLD.source_sha256')}
        END;
      `)
    }
    db.exec(`DELETE FROM message_sources AS s WHERE NOT (${stillHeld('s.sha256')})`)
  },
}

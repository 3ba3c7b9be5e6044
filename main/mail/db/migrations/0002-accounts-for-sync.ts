import type { Migration } from '../migration.js'

/**
 * Accounts for mail sync and chat: `kind` widens to 'xmpp' (a CHECK
 * constraint cannot be altered in place, so the table is rebuilt, the
 * standard SQLite way: new table, copy, drop, rename, with foreign keys off
 * so that dropping the old table does not cascade into folders, messages
 * and chats), and each account gains its server settings as JSON. Secrets
 * never go here: they live in the OS keychain (main/keychain/account-secrets).
 */
export const accountsForSync: Migration = {
  version: 2,
  name: 'accounts for mail sync and chat',
  foreignKeys: 'off',
  up(db) {
    db.exec(`
      CREATE TABLE accounts_new (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('local', 'imap', 'xmpp')),
        name TEXT NOT NULL,
        email TEXT,
        config_json TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL
      ) STRICT;
      INSERT INTO accounts_new (id, kind, name, email, created_at)
        SELECT id, kind, name, email, created_at FROM accounts;
      DROP TABLE accounts;
      ALTER TABLE accounts_new RENAME TO accounts;
    `)
  },
}

import { describe, expect, it } from 'vitest'
import { migrate, schemaVersion } from '../../../main/mail/db/migrate'
import type { Migration } from '../../../main/mail/db/migration'
import { initialSchema } from '../../../main/mail/db/migrations/0001-initial'
import { accountsForSync } from '../../../main/mail/db/migrations/0002-accounts-for-sync'
import { describeMigration, populatedAt, snapshot, type Db } from '../../support/migrations'

describeMigration(accountsForSync, {
  checks(db) {
    expect(db.prepare('SELECT config_json FROM accounts WHERE id = 2').get()).toEqual({
      config_json: '{}',
    })
    // The widened kind, and a STRICT table that refuses the wrong type.
    db.prepare(`INSERT INTO accounts (kind, name, created_at) VALUES ('xmpp', 'Chat', 7)`).run()
    expect(() =>
      db.prepare(`INSERT INTO accounts (kind, name, created_at) VALUES ('pop3', 'x', 1)`).run(),
    ).toThrow(/CHECK/)
    expect(() =>
      db
        .prepare(`INSERT INTO accounts (kind, name, created_at) VALUES ('local', 'x', 'soon')`)
        .run(),
    ).toThrow(/cannot store TEXT value in INTEGER column/)
    // Enforcement is back on afterwards, and still cascades.
    db.prepare('DELETE FROM accounts WHERE id = 1').run()
    expect(db.prepare('SELECT count(*) AS n FROM folders WHERE account_id = 1').get()).toEqual({
      n: 0,
    })
  },
})

function rows(db: Db, table: string): number {
  return snapshot(db).get(table)?.rows.size ?? -1
}

describe('migration 0002 is a real table rebuild', () => {
  it('would lose every folder and message if run with foreign keys on (why the runner turns them off)', () => {
    const db = populatedAt(1)
    const { foreignKeys: _off, ...withKeysOn } = accountsForSync
    migrate(db, [initialSchema, withKeysOn])
    expect(rows(db, 'folders')).toBe(0)
    expect(rows(db, 'messages')).toBe(0)
    db.close()
  })

  it('is rolled back if it would leave a broken reference, and enforcement comes back on', () => {
    const db = populatedAt(1)
    const dropsAnAccount: Migration = {
      version: 2,
      name: 'loses account 1',
      foreignKeys: 'off',
      up(d) {
        accountsForSync.up(d)
        d.exec('DELETE FROM accounts WHERE id = 1')
      },
    }
    expect(() => migrate(db, [initialSchema, dropsAnAccount])).toThrow(/broken reference/)
    expect(schemaVersion(db)).toBe(1)
    expect(rows(db, 'accounts')).toBe(2)
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    db.close()
  })
})

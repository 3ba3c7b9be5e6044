import type { Database } from 'better-sqlite3'
import { CairnError } from '../../shared/errors.js'
import type { Migration } from './migration.js'
import { migrations as allMigrations } from './migrations/index.js'

/**
 * Bring the database to the newest schema, one migration per transaction,
 * tracking progress in PRAGMA user_version. A database written by a newer
 * Cairn is refused rather than guessed at.
 */
export function migrate(db: Database, migrations: readonly Migration[] = allMigrations): number {
  const latest = migrations.length
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `Migration "${migration.name}" is numbered ${migration.version}, expected ${index + 1}`,
      )
    }
  })
  const current = schemaVersion(db)
  if (current > latest) {
    throw new CairnError(
      'PROFILE_TOO_NEW',
      `This profile was written by a newer version of Cairn (schema ${current}; this version understands up to ${latest}). Update Cairn to open it.`,
    )
  }
  for (const migration of migrations.slice(current)) runMigration(db, migration)
  return latest
}

/**
 * One step in one transaction. A step that asks for foreign keys off gets
 * them off for its transaction only, and commits only if every reference
 * still resolves afterwards; enforcement is restored whatever happens.
 */
function runMigration(db: Database, migration: Migration): void {
  const keysOff = migration.foreignKeys === 'off'
  const keysWereOn = db.pragma('foreign_keys', { simple: true }) === 1
  if (keysOff && keysWereOn) db.pragma('foreign_keys = OFF')
  try {
    db.transaction(() => {
      migration.up(db)
      if (keysOff) {
        const broken = db.pragma('foreign_key_check') as { table: string; parent: string }[]
        if (broken.length > 0) {
          const first = broken[0] as { table: string; parent: string }
          throw new CairnError(
            'PROFILE_UNAVAILABLE',
            `Updating the mailbox (step ${migration.version}, ${migration.name}) would leave ${broken.length} broken reference(s) from ${first.table} to ${first.parent}; nothing was changed.`,
          )
        }
      }
      db.pragma(`user_version = ${migration.version}`)
    }).immediate()
  } finally {
    if (keysOff && keysWereOn) db.pragma('foreign_keys = ON')
  }
}

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number
}

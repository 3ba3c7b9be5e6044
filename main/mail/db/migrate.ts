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
  for (const migration of migrations.slice(current)) {
    db.transaction(() => {
      migration.up(db)
      db.pragma(`user_version = ${migration.version}`)
    }).immediate()
  }
  return latest
}

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number
}

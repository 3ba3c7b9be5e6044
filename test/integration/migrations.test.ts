import Database from 'better-sqlite3'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openMailDb } from '../../main/mail/db/connection'
import { migrate, schemaVersion } from '../../main/mail/db/migrate'
import type { Migration } from '../../main/mail/db/migration'
import { migrations, SCHEMA_VERSION } from '../../main/mail/db/migrations'
import { isCairnError } from '../../main/shared/errors'
import { strictViolations } from '../support/migrations'
import { tempDir } from '../support/temp'

function freshDb() {
  return new Database(join(tempDir(), 'mail.sqlite'))
}

describe('the migration runner', () => {
  it('record progress in user_version and are applied once', () => {
    const db = freshDb()
    let runs = 0
    const counting: Migration = { version: 1, name: 'count', up: () => void runs++ }
    migrate(db, [counting])
    migrate(db, [counting])
    expect(runs).toBe(1)
    expect(schemaVersion(db)).toBe(1)
    db.close()
  })

  it('roll back a failing migration entirely', () => {
    const db = freshDb()
    const failing: Migration = {
      version: 1,
      name: 'half',
      up(d) {
        d.exec('CREATE TABLE half (x)')
        throw new Error('boom')
      },
    }
    expect(() => migrate(db, [failing])).toThrow('boom')
    expect(schemaVersion(db)).toBe(0)
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'half'`).get()).toBeUndefined()
    db.close()
  })

  it('refuse a database from a newer Cairn with a clear message', () => {
    const file = join(tempDir(), 'mail.sqlite')
    const db = new Database(file)
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    db.close()
    let error: unknown
    try {
      openMailDb(file)
    } catch (e) {
      error = e
    }
    expect(isCairnError(error, 'PROFILE_TOO_NEW')).toBe(true)
    expect((error as Error).message).toMatch(/newer version of Cairn.*Update Cairn/)
  })

  it('open the mailbox in WAL mode at the newest schema', () => {
    const db = openMailDb(join(tempDir(), 'mail.sqlite'))
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION)
    db.close()
  })
})

const MIGRATIONS_DIR = join(import.meta.dirname, '..', '..', 'main', 'mail', 'db', 'migrations')
const TESTS_DIR = join(import.meta.dirname, 'migrations')

/** The migration files: NNNN-name.ts, numbered like the step they hold. */
function migrationFiles(): string[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((name) => /^\d{4}-.+\.ts$/.test(name))
    .sort()
}

describe('the migration policy', () => {
  it('lists every migration file in index.ts, in the order of its number', () => {
    const files = migrationFiles()
    expect(files.length).toBe(migrations.length)
    files.forEach((file, index) => {
      expect(Number(file.slice(0, 4)), file).toBe(index + 1)
      expect(migrations[index]?.version, file).toBe(index + 1)
    })
  })

  it('gives every migration its own upgrade test, on a populated mailbox', () => {
    for (const file of migrationFiles()) {
      const test = join(TESTS_DIR, file.replace(/\.ts$/, '.test.ts'))
      expect(existsSync(test), `${file} has no test at ${test}`).toBe(true)
      // From 0002 on, the test goes through the shared upgrade harness.
      if (Number(file.slice(0, 4)) > 1)
        expect(readFileSync(test, 'utf8'), `${test} must call describeMigration()`).toMatch(
          /describeMigration\(/,
        )
    }
  })

  it('makes every table created or rebuilt after 0001 STRICT', () => {
    expect(strictViolations()).toEqual([])
  })

  it('would catch a migration that creates a table without STRICT', () => {
    const loose: Migration = {
      version: migrations.length + 1,
      name: 'loose widgets',
      up: (db) => db.exec('CREATE TABLE widgets (id INTEGER PRIMARY KEY, size INTEGER)'),
    }
    const strict: Migration = {
      version: migrations.length + 2,
      name: 'strict gadgets',
      up: (db) => db.exec('CREATE TABLE gadgets (id INTEGER PRIMARY KEY, size INTEGER) STRICT'),
    }
    expect(strictViolations([...migrations, loose, strict])).toEqual([
      `${migrations.length + 1} loose widgets: widgets`,
    ])
  })
})

import Database from 'better-sqlite3'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresStore } from '../../vault/store/postgres-store'
import { sqliteStore } from '../../vault/store/sqlite-store'
import { MIGRATIONS, type VaultStore } from '../../vault/store/store'
import { usePostgres } from '../support/postgres'

// The schema before issue 8 (step 1, unnumbered then), with a live record and a tombstone:
// a vault upgraded in place keeps both, and counts and spaces guesses on the old record.

const OLD_ROWS = [
  `INSERT INTO vault_records (id, sealed, guesses, max_guesses, created_at, updated_at)
   VALUES ('${'a'.repeat(32)}', 'sealed', 1, 10, 1, 1)`,
  `INSERT INTO vault_destroyed (id, destroyed_at) VALUES ('${'b'.repeat(32)}', 2)`,
]
const spacing = { free: 3, baseMs: 60_000 }

async function checkUpgraded(store: VaultStore): Promise<void> {
  await store.migrate()
  await store.migrate() // a second node starting later finds nothing to do
  expect(await store.recordStatus('a'.repeat(32))).toEqual({
    kind: 'live',
    statusHash: null,
    guesses: 1,
    maxGuesses: 10,
    nextAttemptAt: null,
    now: expect.any(Number),
  })
  expect(await store.recordStatus('b'.repeat(32))).toEqual({ kind: 'destroyed', statusHash: null })
  const now = Date.now()
  expect((await store.countGuess('a'.repeat(32), now, spacing)).kind).toBe('counted')
  expect((await store.countGuess('a'.repeat(32), now, spacing)).kind).toBe('counted')
  const early = await store.countGuess('a'.repeat(32), now, spacing)
  expect(early.kind).toBe('wait')
  expect((await store.countGuess('b'.repeat(32), now, spacing)).kind).toBe('destroyed')
}

describe('upgrading a vault database made before numbered schema steps', () => {
  it('SQLite', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cairn-vault-migrate-')), 'vault.sqlite')
    const old = new Database(file)
    for (const statement of MIGRATIONS[0]?.statements ?? [])
      old.exec(statement.replace(/BYTEA/g, 'BLOB'))
    for (const row of OLD_ROWS) old.exec(row)
    old.close()
    const store = sqliteStore(file)
    try {
      await checkUpgraded(store)
    } finally {
      await store.close()
    }
    const db = new Database(file, { readonly: true })
    expect(db.prepare('SELECT version FROM vault_schema ORDER BY version').all()).toEqual(
      MIGRATIONS.map((m) => ({ version: m.version })),
    )
    db.close()
  })

  describe('PostgreSQL', () => {
    let database: Awaited<ReturnType<typeof usePostgres>>
    beforeAll(async () => {
      database = await usePostgres()
    }, 120_000)
    afterAll(async () => {
      await database?.stop()
    })

    it('migrates once, however many nodes start together', async () => {
      const client = new pg.Client({ connectionString: database.url })
      await client.connect()
      for (const statement of MIGRATIONS[0]?.statements ?? []) await client.query(statement)
      for (const row of OLD_ROWS) await client.query(row.replace("'sealed'", "'\\x00'::bytea"))
      const stores = [0, 1, 2].map(() => postgresStore(database.url))
      try {
        await Promise.all(stores.map((s) => s.migrate()))
        await checkUpgraded(stores[0] as VaultStore)
        const versions = await client.query('SELECT version FROM vault_schema ORDER BY version')
        expect(versions.rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version })))
      } finally {
        await Promise.all(stores.map((s) => s.close()))
        await client.end()
      }
    })
  })
})

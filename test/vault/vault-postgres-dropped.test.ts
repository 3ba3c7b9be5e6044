import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresStore } from '../../vault/store/postgres-store'
import { usePostgres } from '../support/postgres'

describe('the PostgreSQL store when the database drops its connections', () => {
  let database: Awaited<ReturnType<typeof usePostgres>>
  beforeAll(async () => {
    database = await usePostgres()
  }, 120_000)
  afterAll(async () => {
    await database?.stop()
  })

  it('keeps the vault running and answers on fresh connections (as after a database restart)', async () => {
    const store = postgresStore(database.url)
    const crashes: unknown[] = []
    const onUncaught = (error: unknown) => crashes.push(error)
    process.on('uncaughtException', onUncaught)
    const admin = new pg.Client({ connectionString: database.url })
    await admin.connect()
    try {
      await store.migrate()
      await store.ping() // leaves idle connections in the pool
      const killed = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      )
      expect(killed.rowCount).toBeGreaterThan(0)
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(crashes).toEqual([])
      await expect(store.ping()).resolves.toBeUndefined()
      expect(await store.recordStatus('no-such-record')).toBeNull()
    } finally {
      process.off('uncaughtException', onUncaught)
      await admin.end()
      await store.close()
    }
  })
})

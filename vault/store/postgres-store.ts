import pg from 'pg'
import {
  SCHEMA,
  toRecord,
  type GuessOutcome,
  type PendingLogin,
  type RecordRow,
  type VaultStore,
} from './store.js'

/**
 * The store shared by several vault nodes. The guess count stays exact
 * across nodes and concurrent requests because counting is one conditional
 * UPDATE … RETURNING: PostgreSQL's row lock lets exactly max_guesses of any
 * number of concurrent attempts find a guess left. Commits are synchronous
 * (the default), so a counted guess survives the node that counted it.
 */
export function postgresStore(connectionString: string): VaultStore {
  const pool = new pg.Pool({ connectionString, max: 8 })
  // Timestamps are milliseconds in BIGINT; read them back as numbers.
  pg.types.setTypeParser(20, (value) => Number(value))

  const destroy = async (id: string, now: number) => {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      await client.query('DELETE FROM vault_records WHERE id = $1', [id])
      await client.query('DELETE FROM vault_logins WHERE record_id = $1', [id])
      await client.query(
        'INSERT INTO vault_destroyed (id, destroyed_at) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        [id, now],
      )
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK')
      throw error
    } finally {
      client.release()
    }
  }
  const exists = async (table: 'vault_records' | 'vault_destroyed', id: string) =>
    ((await pool.query(`SELECT 1 FROM ${table} WHERE id = $1`, [id])).rowCount ?? 0) > 0

  return {
    kind: 'postgres',
    async migrate() {
      const client = await pool.connect()
      try {
        // Several nodes may start at once: one creates the tables, the others wait.
        await client.query('SELECT pg_advisory_lock(47114711)')
        for (const statement of SCHEMA) await client.query(statement)
      } finally {
        await client.query('SELECT pg_advisory_unlock(47114711)')
        client.release()
      }
    },
    async configValue(name, value) {
      await pool.query(
        'INSERT INTO vault_config (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        [name, value],
      )
      return (
        await pool.query<{ value: Buffer }>('SELECT value FROM vault_config WHERE name = $1', [
          name,
        ])
      ).rows[0]?.value as Buffer
    },
    async insertRecord({ id, sealed, maxGuesses, now }) {
      if (await exists('vault_destroyed', id)) return 'destroyed'
      const result = await pool.query(
        `INSERT INTO vault_records (id, sealed, max_guesses, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
         ON CONFLICT DO NOTHING`,
        [id, sealed, maxGuesses, now],
      )
      return result.rowCount === 1 ? 'inserted' : 'exists'
    },
    async replaceRecord(id, sealed, now) {
      const result = await pool.query(
        'UPDATE vault_records SET sealed = $1, guesses = 0, updated_at = $2 WHERE id = $3',
        [sealed, now, id],
      )
      return result.rowCount === 1
    },
    async countGuess(id, now): Promise<GuessOutcome> {
      const counted = await pool.query<RecordRow>(
        `UPDATE vault_records SET guesses = guesses + 1, last_start_at = $2
          WHERE id = $1 AND guesses < max_guesses RETURNING id, sealed, guesses, max_guesses`,
        [id, now],
      )
      const row = counted.rows[0]
      if (row) return { kind: 'counted', record: toRecord(row) }
      if (await exists('vault_records', id)) {
        await destroy(id, now)
        return { kind: 'destroyed' }
      }
      return (await exists('vault_destroyed', id)) ? { kind: 'destroyed' } : { kind: 'unknown' }
    },
    async resetGuesses(id) {
      const row = (
        await pool.query<RecordRow>(
          'UPDATE vault_records SET guesses = 0 WHERE id = $1 RETURNING id, sealed, guesses, max_guesses',
          [id],
        )
      ).rows[0]
      return row ? toRecord(row) : null
    },
    async deleteRecord(id) {
      await pool.query('DELETE FROM vault_logins WHERE record_id = $1', [id])
      return (await pool.query('DELETE FROM vault_records WHERE id = $1', [id])).rowCount === 1
    },
    async saveLogin(id, login, expiresAt) {
      await pool.query(
        'INSERT INTO vault_logins (id, record_id, sealed_state, expires_at) VALUES ($1, $2, $3, $4)',
        [id, login.recordId, login.sealedState, expiresAt],
      )
    },
    async takeLogin(id, now): Promise<PendingLogin | null> {
      const row = (
        await pool.query<{ record_id: string | null; sealed_state: Buffer; expires_at: number }>(
          'DELETE FROM vault_logins WHERE id = $1 RETURNING record_id, sealed_state, expires_at',
          [id],
        )
      ).rows[0]
      if (!row || row.expires_at < now) return null
      return { recordId: row.record_id, sealedState: row.sealed_state }
    },
    async saveToken(hash, recordId, expiresAt) {
      await pool.query(
        'INSERT INTO vault_tokens (hash, record_id, expires_at) VALUES ($1, $2, $3)',
        [hash, recordId, expiresAt],
      )
    },
    async takeToken(hash, recordId, now) {
      const row = (
        await pool.query<{ record_id: string; expires_at: number }>(
          'DELETE FROM vault_tokens WHERE hash = $1 RETURNING record_id, expires_at',
          [hash],
        )
      ).rows[0]
      return row !== undefined && row.record_id === recordId && row.expires_at >= now
    },
    async sweep(now, loginTtlMs) {
      await pool.query('DELETE FROM vault_logins WHERE expires_at < $1', [now])
      await pool.query('DELETE FROM vault_tokens WHERE expires_at < $1', [now])
      const exhausted = await pool.query<{ id: string }>(
        `SELECT id FROM vault_records r WHERE guesses >= max_guesses AND last_start_at < $1
           AND NOT EXISTS (SELECT 1 FROM vault_logins l WHERE l.record_id = r.id)`,
        [now - loginTtlMs],
      )
      for (const { id } of exhausted.rows) await destroy(id, now)
      return exhausted.rows.length
    },
    async ping() {
      await pool.query('SELECT 1')
    },
    async close() {
      await pool.end()
    },
  }
}

import pg from 'pg'
import {
  MIGRATIONS,
  SCHEMA_TABLE,
  toRecord,
  type GuessOutcome,
  type PendingLogin,
  type RecordRow,
  type RecordStatus,
  type Tombstone,
  type VaultStore,
} from './store.js'

/** The database's clock in milliseconds: every node reads the same one. */
const DB_NOW = '(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint'

/**
 * The store shared by several vault nodes. Every time it writes or compares
 * (when a login or token expires, when the next guess is allowed, when the
 * sweeper may erase) is the database's clock: a node's own clock, a few
 * minutes off, otherwise ended another node's logins and tokens early (or
 * kept them late) and let its sweeper erase a record whose last login was
 * still in time. The `now` the interface passes in is ignored here.
 *
 * The guess count and the spacing
 * between guesses stay exact across nodes and concurrent requests because
 * counting is one conditional UPDATE … RETURNING, timed by the database's
 * clock: PostgreSQL's row lock makes each concurrent attempt re-check the
 * row another one just counted, so exactly max_guesses attempts ever find
 * a guess left, and none finds one before its time. Commits are synchronous
 * (the default), so a counted guess survives the node that counted it.
 */
export function postgresStore(connectionString: string): VaultStore {
  const pool = new pg.Pool({ connectionString, max: 8 })
  // An idle connection that the database drops (a restart, a failover, an
  // administrator) is reported here; unhandled, it would end the vault
  // process. The pool has already discarded it and connects anew on the next
  // query, so there is nothing more to do.
  pool.on('error', () => undefined)
  // Timestamps are milliseconds in BIGINT; read them back as numbers.
  pg.types.setTypeParser(20, (value) => Number(value))

  const transaction = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      const result = await work(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK')
      throw error
    } finally {
      client.release()
    }
  }
  /** Erase a record and keep its id (and status hash) as a tombstone. */
  const bury = async (
    client: pg.PoolClient,
    id: string,
    reason: Tombstone,
    statusHash: string | null,
    now: number,
  ) => {
    await client.query('DELETE FROM vault_logins WHERE record_id = $1', [id])
    await client.query('DELETE FROM vault_tokens WHERE record_id = $1', [id])
    await client.query(
      `INSERT INTO vault_destroyed (id, destroyed_at, reason, status_hash) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING`,
      [id, now, reason, statusHash],
    )
  }
  /**
   * Erase an exhausted record, but only while it still is (a verified login
   * may have reset it since it was read): true if this call erased it.
   */
  const destroyIfExhausted = (id: string) =>
    transaction(async (client) => {
      const row = (
        await client.query<{ status_hash: string | null; now: number }>(
          `DELETE FROM vault_records WHERE id = $1 AND guesses >= max_guesses
             AND (next_attempt_at IS NULL OR next_attempt_at <= ${DB_NOW})
           RETURNING status_hash, ${DB_NOW} AS now`,
          [id],
        )
      ).rows[0]
      if (row) await bury(client, id, 'destroyed', row.status_hash, row.now)
      return row !== undefined
    })
  const tombstoneOf = async (id: string): Promise<Tombstone | null> =>
    (
      await pool.query<{ reason: Tombstone }>('SELECT reason FROM vault_destroyed WHERE id = $1', [
        id,
      ])
    ).rows[0]?.reason ?? null

  return {
    kind: 'postgres',
    async now() {
      return (await pool.query<{ now: number }>(`SELECT ${DB_NOW} AS now`)).rows[0]?.now as number
    },
    async migrate() {
      const client = await pool.connect()
      try {
        // Several nodes may start at once: one migrates, the others wait and find it done.
        await client.query('SELECT pg_advisory_lock(47114711)')
        await client.query(SCHEMA_TABLE)
        const current =
          (
            await client.query<{ version: number | null }>(
              'SELECT MAX(version) AS version FROM vault_schema',
            )
          ).rows[0]?.version ?? 0
        for (const step of MIGRATIONS.filter((m) => m.version > current)) {
          await client.query('BEGIN')
          try {
            for (const statement of step.statements) await client.query(statement)
            await client.query('INSERT INTO vault_schema (version) VALUES ($1)', [step.version])
            await client.query('COMMIT')
          } catch (error) {
            await client.query('ROLLBACK')
            throw error
          }
        }
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
    async insertRecord({ id, sealed, statusHash, maxGuesses, now }) {
      const tombstone = await tombstoneOf(id)
      if (tombstone) return tombstone
      const result = await pool.query(
        `INSERT INTO vault_records (id, sealed, status_hash, max_guesses, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT DO NOTHING`,
        [id, sealed, statusHash, maxGuesses, now],
      )
      return result.rowCount === 1 ? 'inserted' : 'exists'
    },
    async replaceRecord(id, sealed, statusHash, now) {
      return transaction(async (client) => {
        const result = await client.query(
          `UPDATE vault_records SET sealed = $1, status_hash = $2, guesses = 0, next_attempt_at = NULL,
             updated_at = $3 WHERE id = $4`,
          [sealed, statusHash, now, id],
        )
        // What the old password won ends with it: a login it started would still verify
        // against the old record, and a token would still allow a change or a deletion.
        await client.query('DELETE FROM vault_logins WHERE record_id = $1', [id])
        await client.query('DELETE FROM vault_tokens WHERE record_id = $1', [id])
        return result.rowCount === 1
      })
    },
    async countGuess(id, _now, spacing): Promise<GuessOutcome> {
      // A few rounds at most: only a concurrent verified login (a reset) sends it round again.
      for (let round = 0; round < 5; round++) {
        const counted = await pool.query<RecordRow>(
          `WITH clock AS (SELECT ${DB_NOW} AS now)
           UPDATE vault_records r
              SET guesses = r.guesses + 1, last_start_at = clock.now,
                  next_attempt_at = CASE WHEN r.guesses + 1 < LEAST($2::int, r.max_guesses - 1) THEN NULL
                                         ELSE clock.now + ($3::bigint << (r.guesses + 1 - LEAST($2::int, r.max_guesses - 1))) END
             FROM clock
            WHERE r.id = $1 AND r.guesses < r.max_guesses
              AND (r.next_attempt_at IS NULL OR r.next_attempt_at <= clock.now)
        RETURNING r.id, r.sealed, r.guesses, r.max_guesses`,
          [id, spacing.free, spacing.baseMs],
        )
        const row = counted.rows[0]
        if (row) return { kind: 'counted', record: toRecord(row) }
        const current = (
          await pool.query<{
            guesses: number
            max_guesses: number
            next_attempt_at: number | null
            now: number
          }>(
            `SELECT guesses, max_guesses, next_attempt_at, ${DB_NOW} AS now
               FROM vault_records WHERE id = $1`,
            [id],
          )
        ).rows[0]
        if (!current) {
          const tombstone = await tombstoneOf(id)
          return tombstone ? { kind: tombstone } : { kind: 'unknown' }
        }
        if (current.next_attempt_at !== null && current.next_attempt_at > current.now)
          return { kind: 'wait', retryAt: current.next_attempt_at, now: current.now }
        if (current.guesses >= current.max_guesses && (await destroyIfExhausted(id)))
          return { kind: 'destroyed' }
      }
      throw new Error('the guess count kept changing under this attempt')
    },
    async resetGuesses(id) {
      const row = (
        await pool.query<RecordRow>(
          `UPDATE vault_records SET guesses = 0, next_attempt_at = NULL WHERE id = $1
           RETURNING id, sealed, guesses, max_guesses`,
          [id],
        )
      ).rows[0]
      return row ? toRecord(row) : null
    },
    async deleteRecord(id, now) {
      return transaction(async (client) => {
        const row = (
          await client.query<{ status_hash: string | null }>(
            'DELETE FROM vault_records WHERE id = $1 RETURNING status_hash',
            [id],
          )
        ).rows[0]
        if (!row) return false
        await bury(client, id, 'deleted', row.status_hash, now)
        return true
      })
    },
    async recordStatus(id): Promise<RecordStatus | null> {
      const live = (
        await pool.query<{
          guesses: number
          max_guesses: number
          next_attempt_at: number | null
          status_hash: string | null
          now: number
        }>(
          `SELECT guesses, max_guesses, next_attempt_at, status_hash, ${DB_NOW} AS now
             FROM vault_records WHERE id = $1`,
          [id],
        )
      ).rows[0]
      if (live)
        return {
          kind: 'live',
          statusHash: live.status_hash,
          guesses: live.guesses,
          maxGuesses: live.max_guesses,
          nextAttemptAt: live.next_attempt_at,
          now: live.now,
        }
      const tomb = (
        await pool.query<{ reason: Tombstone; status_hash: string | null }>(
          'SELECT reason, status_hash FROM vault_destroyed WHERE id = $1',
          [id],
        )
      ).rows[0]
      return tomb ? { kind: tomb.reason, statusHash: tomb.status_hash } : null
    },
    async saveLogin(id, login, ttlMs) {
      await pool.query(
        `INSERT INTO vault_logins (id, record_id, sealed_state, expires_at)
         VALUES ($1, $2, $3, ${DB_NOW} + $4::bigint)`,
        [id, login.recordId, login.sealedState, ttlMs],
      )
    },
    async takeLogin(id): Promise<PendingLogin | null> {
      const row = (
        await pool.query<{ record_id: string | null; sealed_state: Buffer; live: boolean }>(
          `DELETE FROM vault_logins WHERE id = $1
           RETURNING record_id, sealed_state, expires_at >= ${DB_NOW} AS live`,
          [id],
        )
      ).rows[0]
      if (!row?.live) return null
      return { recordId: row.record_id, sealedState: row.sealed_state }
    },
    async saveToken(hash, recordId, ttlMs) {
      await pool.query(
        `INSERT INTO vault_tokens (hash, record_id, expires_at) VALUES ($1, $2, ${DB_NOW} + $3::bigint)`,
        [hash, recordId, ttlMs],
      )
    },
    async peekToken(hash, recordId) {
      const row = (
        await pool.query<{ record_id: string; live: boolean }>(
          `SELECT record_id, expires_at >= ${DB_NOW} AS live FROM vault_tokens WHERE hash = $1`,
          [hash],
        )
      ).rows[0]
      return row !== undefined && row.record_id === recordId && row.live
    },
    async takeToken(hash, recordId) {
      const row = (
        await pool.query<{ record_id: string; live: boolean }>(
          `DELETE FROM vault_tokens WHERE hash = $1
           RETURNING record_id, expires_at >= ${DB_NOW} AS live`,
          [hash],
        )
      ).rows[0]
      return row !== undefined && row.record_id === recordId && row.live
    },
    async sweep(_now, loginTtlMs) {
      await pool.query(`DELETE FROM vault_logins WHERE expires_at < ${DB_NOW}`)
      await pool.query(`DELETE FROM vault_tokens WHERE expires_at < ${DB_NOW}`)
      // last_start_at was written by the database's clock (countGuess): compared with the same.
      const exhausted = await pool.query<{ id: string }>(
        `SELECT id FROM vault_records r WHERE guesses >= max_guesses
           AND last_start_at < ${DB_NOW} - $1::bigint
           AND NOT EXISTS (SELECT 1 FROM vault_logins l WHERE l.record_id = r.id)`,
        [loginTtlMs],
      )
      let destroyed = 0
      for (const { id } of exhausted.rows) {
        const erased = await transaction(async (client) => {
          const row = (
            await client.query<{ status_hash: string | null; now: number }>(
              `DELETE FROM vault_records WHERE id = $1 AND guesses >= max_guesses
               RETURNING status_hash, ${DB_NOW} AS now`,
              [id],
            )
          ).rows[0]
          if (row) await bury(client, id, 'destroyed', row.status_hash, row.now)
          return row !== undefined
        })
        if (erased) destroyed++
      }
      return destroyed
    },
    async ping() {
      await pool.query('SELECT 1')
    },
    async close() {
      await pool.end()
    },
  }
}

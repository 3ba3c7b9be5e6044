import Database from 'better-sqlite3'
import {
  SCHEMA,
  toRecord,
  type GuessOutcome,
  type PendingLogin,
  type RecordRow,
  type VaultStore,
} from './store.js'

/**
 * The single-node store: one SQLite file, WAL, synchronous=FULL so a counted
 * guess survives a power cut. Statements run one at a time on one
 * connection, so a conditional UPDATE … RETURNING is atomic.
 */
export function sqliteStore(file: string): VaultStore {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('busy_timeout = 5000')

  const destroy = db.transaction((id: string, now: number) => {
    db.prepare('DELETE FROM vault_records WHERE id = ?').run(id)
    db.prepare('DELETE FROM vault_logins WHERE record_id = ?').run(id)
    db.prepare('INSERT OR IGNORE INTO vault_destroyed (id, destroyed_at) VALUES (?, ?)').run(
      id,
      now,
    )
  })

  return {
    kind: 'sqlite',
    async migrate() {
      for (const statement of SCHEMA) db.exec(statement.replace(/BYTEA/g, 'BLOB'))
    },
    async configValue(name, value) {
      db.prepare('INSERT OR IGNORE INTO vault_config (name, value) VALUES (?, ?)').run(name, value)
      return (
        db.prepare('SELECT value FROM vault_config WHERE name = ?').get(name) as { value: Buffer }
      ).value
    },
    async insertRecord({ id, sealed, maxGuesses, now }) {
      if (db.prepare('SELECT 1 FROM vault_destroyed WHERE id = ?').get(id)) return 'destroyed'
      const result = db
        .prepare(
          'INSERT OR IGNORE INTO vault_records (id, sealed, max_guesses, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(id, sealed, maxGuesses, now, now)
      return result.changes === 1 ? 'inserted' : 'exists'
    },
    async replaceRecord(id, sealed, now) {
      return (
        db
          .prepare('UPDATE vault_records SET sealed = ?, guesses = 0, updated_at = ? WHERE id = ?')
          .run(sealed, now, id).changes === 1
      )
    },
    async countGuess(id, now): Promise<GuessOutcome> {
      const row = db
        .prepare<[number, string], RecordRow>(
          `UPDATE vault_records SET guesses = guesses + 1, last_start_at = ?
            WHERE id = ? AND guesses < max_guesses RETURNING id, sealed, guesses, max_guesses`,
        )
        .get(now, id)
      if (row) return { kind: 'counted', record: toRecord(row) }
      if (db.prepare('SELECT 1 FROM vault_records WHERE id = ?').get(id)) {
        destroy(id, now)
        return { kind: 'destroyed' }
      }
      return db.prepare('SELECT 1 FROM vault_destroyed WHERE id = ?').get(id)
        ? { kind: 'destroyed' }
        : { kind: 'unknown' }
    },
    async resetGuesses(id) {
      const row = db
        .prepare<[string], RecordRow>(
          'UPDATE vault_records SET guesses = 0 WHERE id = ? RETURNING id, sealed, guesses, max_guesses',
        )
        .get(id)
      return row ? toRecord(row) : null
    },
    async deleteRecord(id) {
      db.prepare('DELETE FROM vault_logins WHERE record_id = ?').run(id)
      return db.prepare('DELETE FROM vault_records WHERE id = ?').run(id).changes === 1
    },
    async saveLogin(id, login, expiresAt) {
      db.prepare(
        'INSERT INTO vault_logins (id, record_id, sealed_state, expires_at) VALUES (?, ?, ?, ?)',
      ).run(id, login.recordId, login.sealedState, expiresAt)
    },
    async takeLogin(id, now): Promise<PendingLogin | null> {
      const row = db
        .prepare<[string], { record_id: string | null; sealed_state: Buffer; expires_at: number }>(
          'DELETE FROM vault_logins WHERE id = ? RETURNING record_id, sealed_state, expires_at',
        )
        .get(id)
      if (!row || row.expires_at < now) return null
      return { recordId: row.record_id, sealedState: row.sealed_state }
    },
    async saveToken(hash, recordId, expiresAt) {
      db.prepare('INSERT INTO vault_tokens (hash, record_id, expires_at) VALUES (?, ?, ?)').run(
        hash,
        recordId,
        expiresAt,
      )
    },
    async takeToken(hash, recordId, now) {
      const row = db
        .prepare<[string], { record_id: string; expires_at: number }>(
          'DELETE FROM vault_tokens WHERE hash = ? RETURNING record_id, expires_at',
        )
        .get(hash)
      return row !== undefined && row.record_id === recordId && row.expires_at >= now
    },
    async sweep(now, loginTtlMs) {
      db.prepare('DELETE FROM vault_logins WHERE expires_at < ?').run(now)
      db.prepare('DELETE FROM vault_tokens WHERE expires_at < ?').run(now)
      const exhausted = db
        .prepare<[number], { id: string }>(
          `SELECT id FROM vault_records WHERE guesses >= max_guesses AND last_start_at < ?
             AND NOT EXISTS (SELECT 1 FROM vault_logins l WHERE l.record_id = vault_records.id)`,
        )
        .all(now - loginTtlMs)
      for (const { id } of exhausted) destroy(id, now)
      return exhausted.length
    },
    async ping() {
      db.prepare('SELECT 1').get()
    },
    async close() {
      db.close()
    },
  }
}

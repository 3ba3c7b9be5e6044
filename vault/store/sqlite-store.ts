import Database from 'better-sqlite3'
import { privateFile, privateFolderFor, tightenIfPresent } from '../private-files.js'
import {
  MIGRATIONS,
  SCHEMA_TABLE,
  toRecord,
  type GuessOutcome,
  type GuessSpacing,
  type PendingLogin,
  type RecordRow,
  type RecordStatus,
  type Tombstone,
  type VaultStore,
} from './store.js'

/**
 * The single-node store: one SQLite file, WAL, synchronous=FULL so a counted
 * guess survives a power cut. Statements run one at a time on one
 * connection, and the few multi-step operations are transactions, so each
 * is atomic. The file and its -wal/-shm are 0600 (SQLite gives those two
 * the database file's mode), in a 0700 folder when the vault makes it.
 */
export function sqliteStore(file: string, warn: (message: string) => void = () => {}): VaultStore {
  const folderWarning = privateFolderFor(file)
  if (folderWarning) warn(folderWarning)
  privateFile(file)
  for (const suffix of ['-wal', '-shm']) tightenIfPresent(file + suffix)
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('busy_timeout = 5000')

  const tombstoneOf = (id: string): Tombstone | null =>
    (
      db.prepare('SELECT reason FROM vault_destroyed WHERE id = ?').get(id) as
        { reason: Tombstone } | undefined
    )?.reason ?? null

  /** Erase a record and keep its id (and status hash) as a tombstone. */
  const bury = (id: string, reason: Tombstone, statusHash: string | null, now: number) => {
    db.prepare('DELETE FROM vault_logins WHERE record_id = ?').run(id)
    db.prepare('DELETE FROM vault_tokens WHERE record_id = ?').run(id)
    db.prepare(
      'INSERT OR IGNORE INTO vault_destroyed (id, destroyed_at, reason, status_hash) VALUES (?, ?, ?, ?)',
    ).run(id, now, reason, statusHash)
  }

  const countGuess = db.transaction(
    (id: string, now: number, spacing: GuessSpacing): GuessOutcome => {
      const row = db
        .prepare<[{ id: string; now: number; free: number; base: number }], RecordRow>(
          `UPDATE vault_records
              SET guesses = guesses + 1, last_start_at = @now,
                  next_attempt_at = CASE WHEN guesses + 1 < MIN(@free, max_guesses - 1) THEN NULL
                                         ELSE @now + (@base << (guesses + 1 - MIN(@free, max_guesses - 1))) END
            WHERE id = @id AND guesses < max_guesses
              AND (next_attempt_at IS NULL OR next_attempt_at <= @now)
        RETURNING id, sealed, guesses, max_guesses`,
        )
        .get({ id, now, free: spacing.free, base: spacing.baseMs })
      if (row) return { kind: 'counted', record: toRecord(row) }
      const current = db
        .prepare(
          'SELECT guesses, max_guesses, next_attempt_at, status_hash FROM vault_records WHERE id = ?',
        )
        .get(id) as
        | {
            guesses: number
            max_guesses: number
            next_attempt_at: number | null
            status_hash: string | null
          }
        | undefined
      if (!current) {
        const tombstone = tombstoneOf(id)
        return tombstone ? { kind: tombstone } : { kind: 'unknown' }
      }
      if (current.next_attempt_at !== null && current.next_attempt_at > now)
        return { kind: 'wait', retryAt: current.next_attempt_at, now }
      // No guess left and no wait: this attempt erases the record.
      db.prepare('DELETE FROM vault_records WHERE id = ?').run(id)
      bury(id, 'destroyed', current.status_hash, now)
      return { kind: 'destroyed' }
    },
  )

  return {
    kind: 'sqlite',
    async migrate() {
      db.exec(SCHEMA_TABLE)
      const current =
        (
          db.prepare('SELECT MAX(version) AS version FROM vault_schema').get() as {
            version: number | null
          }
        ).version ?? 0
      for (const step of MIGRATIONS.filter((m) => m.version > current)) {
        db.transaction(() => {
          for (const statement of step.statements) db.exec(statement.replace(/BYTEA/g, 'BLOB'))
          db.prepare('INSERT INTO vault_schema (version) VALUES (?)').run(step.version)
        }).immediate()
      }
      // WAL and SHM exist now; a database made by an older vault may have left them 0644.
      for (const suffix of ['', '-wal', '-shm']) tightenIfPresent(file + suffix)
    },
    async configValue(name, value) {
      db.prepare('INSERT OR IGNORE INTO vault_config (name, value) VALUES (?, ?)').run(name, value)
      return (
        db.prepare('SELECT value FROM vault_config WHERE name = ?').get(name) as { value: Buffer }
      ).value
    },
    async insertRecord({ id, sealed, statusHash, maxGuesses, now }) {
      return db
        .transaction(() => {
          const tombstone = tombstoneOf(id)
          if (tombstone) return tombstone
          const result = db
            .prepare(
              `INSERT OR IGNORE INTO vault_records (id, sealed, status_hash, max_guesses, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?)`,
            )
            .run(id, sealed, statusHash, maxGuesses, now, now)
          return result.changes === 1 ? ('inserted' as const) : ('exists' as const)
        })
        .immediate()
    },
    async replaceRecord(id, sealed, statusHash, now) {
      return db
        .transaction(() => {
          const replaced =
            db
              .prepare(
                `UPDATE vault_records SET sealed = ?, status_hash = ?, guesses = 0, next_attempt_at = NULL,
                   updated_at = ? WHERE id = ?`,
              )
              .run(sealed, statusHash, now, id).changes === 1
          // What the old password won ends with it: a login it started would still verify
          // against the old record, and a token would still allow a change or a deletion.
          db.prepare('DELETE FROM vault_logins WHERE record_id = ?').run(id)
          db.prepare('DELETE FROM vault_tokens WHERE record_id = ?').run(id)
          return replaced
        })
        .immediate()
    },
    async countGuess(id, now, spacing) {
      return countGuess.immediate(id, now, spacing)
    },
    async resetGuesses(id) {
      const row = db
        .prepare<[string], RecordRow>(
          `UPDATE vault_records SET guesses = 0, next_attempt_at = NULL WHERE id = ?
           RETURNING id, sealed, guesses, max_guesses`,
        )
        .get(id)
      return row ? toRecord(row) : null
    },
    async deleteRecord(id, now) {
      return db
        .transaction(() => {
          const row = db
            .prepare('DELETE FROM vault_records WHERE id = ? RETURNING status_hash')
            .get(id) as { status_hash: string | null } | undefined
          if (!row) return false
          bury(id, 'deleted', row.status_hash, now)
          return true
        })
        .immediate()
    },
    async recordStatus(id): Promise<RecordStatus | null> {
      const live = db
        .prepare(
          'SELECT guesses, max_guesses, next_attempt_at, status_hash FROM vault_records WHERE id = ?',
        )
        .get(id) as
        | {
            guesses: number
            max_guesses: number
            next_attempt_at: number | null
            status_hash: string | null
          }
        | undefined
      if (live)
        return {
          kind: 'live',
          statusHash: live.status_hash,
          guesses: live.guesses,
          maxGuesses: live.max_guesses,
          nextAttemptAt: live.next_attempt_at,
          now: Date.now(),
        }
      const tomb = db
        .prepare('SELECT reason, status_hash FROM vault_destroyed WHERE id = ?')
        .get(id) as { reason: Tombstone; status_hash: string | null } | undefined
      return tomb ? { kind: tomb.reason, statusHash: tomb.status_hash } : null
    },
    async now() {
      // One node, one clock.
      return Date.now()
    },
    async saveLogin(id, login, ttlMs, now) {
      const expiresAt = now + ttlMs
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
    async saveToken(hash, recordId, ttlMs, now) {
      const expiresAt = now + ttlMs
      db.prepare('INSERT INTO vault_tokens (hash, record_id, expires_at) VALUES (?, ?, ?)').run(
        hash,
        recordId,
        expiresAt,
      )
    },
    async peekToken(hash, recordId, now) {
      const row = db
        .prepare<[string], { record_id: string; expires_at: number }>(
          'SELECT record_id, expires_at FROM vault_tokens WHERE hash = ?',
        )
        .get(hash)
      return row !== undefined && row.record_id === recordId && row.expires_at >= now
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
        .prepare<[number], { id: string; status_hash: string | null }>(
          `SELECT id, status_hash FROM vault_records WHERE guesses >= max_guesses AND last_start_at < ?
             AND NOT EXISTS (SELECT 1 FROM vault_logins l WHERE l.record_id = vault_records.id)`,
        )
        .all(now - loginTtlMs)
      for (const { id, status_hash } of exhausted) {
        db.transaction(() => {
          db.prepare('DELETE FROM vault_records WHERE id = ?').run(id)
          bury(id, 'destroyed', status_hash, now)
        }).immediate()
      }
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

/** What the vault keeps, and the few atomic operations it needs. SQLite for one node, PostgreSQL for several. */
export interface StoredRecord {
  id: string
  /** Sealed { registrationRecord, wrappedKey } (see vault/hsm). */
  sealed: Buffer
  guesses: number
  maxGuesses: number
}

export type GuessOutcome =
  | { kind: 'counted'; record: StoredRecord }
  /** The record used up its guesses (it is now erased), or was erased before. */
  | { kind: 'destroyed' }
  | { kind: 'unknown' }

export interface PendingLogin {
  recordId: string | null
  sealedState: Buffer
}

export interface VaultStore {
  readonly kind: 'sqlite' | 'postgres'
  migrate(): Promise<void>
  /** The stored value for `name`, storing `value` first if there is none (first node wins). */
  configValue(name: string, value: Buffer): Promise<Buffer>
  insertRecord(record: {
    id: string
    sealed: Buffer
    maxGuesses: number
    now: number
  }): Promise<'inserted' | 'exists' | 'destroyed'>
  /** New registration for an existing record (password change); resets its guesses. */
  replaceRecord(id: string, sealed: Buffer, now: number): Promise<boolean>
  /**
   * Count one guess, atomically and durably, before any answer is given:
   * across nodes and concurrent requests, at most maxGuesses guesses are
   * ever counted. A record with none left is erased here.
   */
  countGuess(id: string, now: number): Promise<GuessOutcome>
  /** A verified login: back to zero guesses. Null if the record is gone. */
  resetGuesses(id: string): Promise<StoredRecord | null>
  deleteRecord(id: string): Promise<boolean>
  saveLogin(id: string, login: PendingLogin, expiresAt: number): Promise<void>
  /** Remove and return a pending login (once: a replay finds nothing); null if unknown or expired. */
  takeLogin(id: string, now: number): Promise<PendingLogin | null>
  saveToken(hash: string, recordId: string, expiresAt: number): Promise<void>
  takeToken(hash: string, recordId: string, now: number): Promise<boolean>
  /**
   * Erase records whose last allowed guess was taken and whose login has
   * expired unanswered; drop expired logins and tokens. Returns how many
   * records were erased.
   */
  sweep(now: number, loginTtlMs: number): Promise<number>
  ping(): Promise<void>
  close(): Promise<void>
}

/** A vault_records row as both stores read it. */
export interface RecordRow {
  id: string
  sealed: Buffer
  guesses: number
  max_guesses: number
}

export const toRecord = (row: RecordRow): StoredRecord => ({
  id: row.id,
  sealed: row.sealed,
  guesses: row.guesses,
  maxGuesses: row.max_guesses,
})

export const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS vault_config (name TEXT PRIMARY KEY, value BYTEA NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS vault_records (
     id TEXT PRIMARY KEY,
     sealed BYTEA NOT NULL,
     guesses INTEGER NOT NULL DEFAULT 0,
     max_guesses INTEGER NOT NULL,
     created_at BIGINT NOT NULL,
     updated_at BIGINT NOT NULL,
     last_start_at BIGINT)`,
  `CREATE TABLE IF NOT EXISTS vault_destroyed (id TEXT PRIMARY KEY, destroyed_at BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS vault_logins (id TEXT PRIMARY KEY, record_id TEXT, sealed_state BYTEA NOT NULL, expires_at BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS vault_tokens (hash TEXT PRIMARY KEY, record_id TEXT NOT NULL, expires_at BIGINT NOT NULL)`,
]

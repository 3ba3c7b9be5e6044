/** What the vault keeps, and the few atomic operations it needs. SQLite for one node, PostgreSQL for several. */
export interface StoredRecord {
  id: string
  /** Sealed { registrationRecord, wrappedKey } (see vault/hsm). */
  sealed: Buffer
  guesses: number
  maxGuesses: number
}

/**
 * Spacing between guesses: the first f = min(free, maxGuesses − 1) wrong
 * passwords are accepted at once (so a record with a small limit still
 * makes its last guess wait); after the n-th (n ≥ f) the next attempt
 * waits baseMs · 2^(n − f). A base of 0 turns spacing off.
 */
export interface GuessSpacing {
  free: number
  baseMs: number
}

export type GuessOutcome =
  | { kind: 'counted'; record: StoredRecord }
  /** Too early: refused without counting; the next attempt is accepted at `retryAt` (ms). */
  | { kind: 'wait'; retryAt: number; now: number }
  /** The record used up its guesses (it is now erased), or was erased before. */
  | { kind: 'destroyed' }
  /** Deleted by its owner. */
  | { kind: 'deleted' }
  | { kind: 'unknown' }

export interface PendingLogin {
  recordId: string | null
  sealedState: Buffer
}

/** Why an id has no record although it had one: its tombstone. */
export type Tombstone = 'destroyed' | 'deleted'

export type RecordStatus =
  | {
      kind: 'live'
      statusHash: string | null
      guesses: number
      maxGuesses: number
      nextAttemptAt: number | null
      /** The store's clock when read, to tell whether nextAttemptAt has passed. */
      now: number
    }
  | { kind: Tombstone; statusHash: string | null }

/**
 * Times. Every expiry (logins, tokens, registration tickets, the spacing
 * between guesses) is written by one node and read by another when
 * several share PostgreSQL, so it is set and judged by one clock: the
 * database's. The `now` a node passes in is its own clock, used only by a
 * store no other node shares (SQLite); a shared store ignores it.
 */
export interface VaultStore {
  readonly kind: 'sqlite' | 'postgres'
  /** The clock expiries are judged by (ms since the epoch). */
  now(): Promise<number>
  migrate(): Promise<void>
  /** The stored value for `name`, storing `value` first if there is none (first node wins). */
  configValue(name: string, value: Buffer): Promise<Buffer>
  insertRecord(record: {
    id: string
    sealed: Buffer
    statusHash: string
    maxGuesses: number
    now: number
  }): Promise<'inserted' | 'exists' | Tombstone>
  /**
   * New registration for an existing record (password change); resets its
   * guesses, and drops its pending logins and unused tokens, which the old
   * password won.
   */
  replaceRecord(id: string, sealed: Buffer, statusHash: string, now: number): Promise<boolean>
  /**
   * Count one guess, atomically and durably, before any answer is given:
   * across nodes and concurrent requests, at most maxGuesses guesses are
   * ever counted, and none earlier than the spacing allows (a too-early
   * attempt is refused without counting). The attempt after the last
   * guess erases the record. `now` is the node's clock; a store shared by
   * several nodes uses its own clock instead, so node clocks cannot skew
   * the spacing.
   */
  countGuess(id: string, now: number, spacing: GuessSpacing): Promise<GuessOutcome>
  /** A verified login: back to zero guesses. Null if the record is gone. */
  resetGuesses(id: string): Promise<StoredRecord | null>
  /** The owner deletes the record; its id stays as a 'deleted' tombstone. */
  deleteRecord(id: string, now: number): Promise<boolean>
  /** The record's state, for the status call (which compares statusHash) and registration. */
  recordStatus(id: string): Promise<RecordStatus | null>
  /** Keep a pending login for `ttlMs` from now. */
  saveLogin(id: string, login: PendingLogin, ttlMs: number, now: number): Promise<void>
  /** Remove and return a pending login (once: a replay finds nothing); null if unknown or expired. */
  takeLogin(id: string, now: number): Promise<PendingLogin | null>
  /** Keep a token's hash for `ttlMs` from now. */
  saveToken(hash: string, recordId: string, ttlMs: number, now: number): Promise<void>
  /** Is the token valid for this record? Leaves it in place (a password change's start). */
  peekToken(hash: string, recordId: string, now: number): Promise<boolean>
  /** Use the token up: true if it was valid for this record. */
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

/**
 * The schema, as numbered steps; vault_schema records the last step
 * applied. Step 1 is the original schema (CREATE … IF NOT EXISTS, so a
 * database made before steps were numbered takes it unchanged). Written
 * for PostgreSQL; SQLite reads BYTEA as BLOB.
 */
export const MIGRATIONS: { version: number; statements: string[] }[] = [
  {
    version: 1,
    statements: [
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
    ],
  },
  {
    // Issue 8: spacing between guesses, the owner's status check, and
    // tombstones for deleted records too (an id is never used twice).
    version: 2,
    statements: [
      `ALTER TABLE vault_records ADD COLUMN status_hash TEXT`,
      `ALTER TABLE vault_records ADD COLUMN next_attempt_at BIGINT`,
      `ALTER TABLE vault_destroyed ADD COLUMN reason TEXT NOT NULL DEFAULT 'destroyed'`,
      `ALTER TABLE vault_destroyed ADD COLUMN status_hash TEXT`,
    ],
  },
]
export const SCHEMA_TABLE = `CREATE TABLE IF NOT EXISTS vault_schema (version INTEGER NOT NULL)`

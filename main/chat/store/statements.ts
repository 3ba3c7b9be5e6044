import type { Statement } from 'better-sqlite3'
import type { MailDb } from '../../mail/db/connection.js'

const caches = new WeakMap<MailDb, Map<string, Statement>>()

/**
 * A prepared statement, compiled once per connection: chat stores a
 * message per stanza, and compiling the same SQL thousands of times a
 * second cost more than running it.
 */
export function cached<P extends unknown[] | object = unknown[], R = unknown>(
  db: MailDb,
  sql: string,
): Statement<P, R> {
  let cache = caches.get(db)
  if (!cache) caches.set(db, (cache = new Map()))
  let statement = cache.get(sql)
  if (!statement) cache.set(sql, (statement = db.prepare(sql)))
  return statement as unknown as Statement<P, R>
}

/** Run `action` in a transaction, or inside the caller's when one is open (no savepoint per message). */
export function atomically<T>(db: MailDb, action: () => T): T {
  return db.inTransaction ? action() : db.transaction(action)()
}

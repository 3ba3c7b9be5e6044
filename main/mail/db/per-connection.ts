import type { MailDb } from './connection.js'

/**
 * `prepare(db)` run once per connection and kept while the connection
 * lives: statements on hot paths (sync, import, indexing) compiled again on
 * every call cost more than running them.
 */
export function perConnection<T>(prepare: (db: MailDb) => T): (db: MailDb) => T {
  const prepared = new WeakMap<MailDb, T>()
  return (db) => {
    let value = prepared.get(db)
    if (value === undefined) prepared.set(db, (value = prepare(db)))
    return value
  }
}

import type { MailDb } from '../db/connection.js'

export const LOCAL_ACCOUNT_NAME = 'Local Folders'

/** The account that holds imported mail (it never syncs anywhere). */
export function ensureLocalAccount(db: MailDb): number {
  const existing = db
    .prepare<[], { id: number }>(`SELECT id FROM accounts WHERE kind = 'local' ORDER BY id LIMIT 1`)
    .get()
  if (existing) return existing.id
  return Number(
    db
      .prepare(`INSERT INTO accounts (kind, name, created_at) VALUES ('local', ?, ?)`)
      .run(LOCAL_ACCOUNT_NAME, Date.now()).lastInsertRowid,
  )
}

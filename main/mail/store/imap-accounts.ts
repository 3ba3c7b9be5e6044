import type { MailDb } from '../db/connection.js'
import { CairnError } from '../../shared/errors.js'
import { parseAccountConfig, type ImapAccountConfig } from '../accounts/server-settings.js'

export interface ImapAccountRow {
  id: number
  name: string
  email: string
  config: ImapAccountConfig
  createdAt: number
}

interface Row {
  id: number
  name: string
  email: string | null
  config_json: string
  created_at: number
}

const toAccount = (row: Row): ImapAccountRow => ({
  id: row.id,
  name: row.name,
  email: row.email ?? '',
  config: parseAccountConfig(row.config_json, row.id),
  createdAt: row.created_at,
})

export function insertImapAccount(
  db: MailDb,
  account: { name: string; email: string; config: ImapAccountConfig },
): number {
  return Number(
    db
      .prepare(
        `INSERT INTO accounts (kind, name, email, config_json, created_at) VALUES ('imap', ?, ?, ?, ?)`,
      )
      .run(account.name, account.email, JSON.stringify(account.config), Date.now()).lastInsertRowid,
  )
}

export function listImapAccounts(db: MailDb): ImapAccountRow[] {
  return db
    .prepare<[], Row>(
      `SELECT id, name, email, config_json, created_at FROM accounts WHERE kind = 'imap' ORDER BY id`,
    )
    .all()
    .map(toAccount)
}

export function getImapAccount(db: MailDb, id: number): ImapAccountRow {
  const row = db
    .prepare<[number], Row>(
      `SELECT id, name, email, config_json, created_at FROM accounts WHERE kind = 'imap' AND id = ?`,
    )
    .get(id)
  if (!row)
    throw new CairnError(
      'ACCOUNT_NOT_FOUND',
      `There is no mail account ${id}. List them with "cairn account list".`,
    )
  return toAccount(row)
}

export function updateImapAccountConfig(db: MailDb, id: number, config: ImapAccountConfig): void {
  db.prepare(`UPDATE accounts SET config_json = ? WHERE id = ? AND kind = 'imap'`).run(
    JSON.stringify(config),
    id,
  )
}

export function deleteAccount(db: MailDb, id: number): void {
  db.prepare('DELETE FROM accounts WHERE id = ?').run(id)
}

import type { MailDb } from '../../mail/db/connection.js'
import { cached } from './statements.js'
import { CairnError } from '../../shared/errors.js'
import type { ChatAccount, ChatServerConfig } from '../types.js'

interface AccountRow {
  id: number
  name: string
  email: string
  config_json: string
  created_at: number
}

/** Chat accounts are `accounts` rows of kind 'xmpp': email holds the JID, config_json the server settings. */
export function insertChatAccount(
  db: MailDb,
  jid: string,
  name: string,
  config: ChatServerConfig,
): number {
  const existing = findChatAccount(db, jid)
  if (existing)
    throw new CairnError(
      'CHAT_ACCOUNT_EXISTS',
      `The chat account ${jid} is already set up in this profile.`,
    )
  return Number(
    cached(
      db,
      `INSERT INTO accounts (kind, name, email, config_json, created_at) VALUES ('xmpp', ?, ?, ?, ?)`,
    ).run(name, jid, JSON.stringify(config), Date.now()).lastInsertRowid,
  )
}

export function updateChatAccountConfig(db: MailDb, id: number, config: ChatServerConfig): void {
  cached(db, `UPDATE accounts SET config_json = ? WHERE id = ? AND kind = 'xmpp'`).run(
    JSON.stringify(config),
    id,
  )
}

export function listChatAccounts(db: MailDb): ChatAccount[] {
  return cached<[], AccountRow>(
    db,
    `SELECT id, name, email, config_json, created_at FROM accounts WHERE kind = 'xmpp' ORDER BY id`,
  )
    .all()
    .map(toAccount)
}

export function getChatAccount(db: MailDb, id: number): ChatAccount | null {
  const row = cached<[number], AccountRow>(
    db,
    `SELECT id, name, email, config_json, created_at FROM accounts WHERE kind = 'xmpp' AND id = ?`,
  ).get(id)
  return row ? toAccount(row) : null
}

export function findChatAccount(db: MailDb, jid: string): ChatAccount | null {
  const row = cached<[string], AccountRow>(
    db,
    `SELECT id, name, email, config_json, created_at FROM accounts WHERE kind = 'xmpp' AND email = ? COLLATE NOCASE`,
  ).get(jid)
  return row ? toAccount(row) : null
}

export function deleteChatAccount(db: MailDb, id: number): void {
  cached(db, `DELETE FROM accounts WHERE id = ? AND kind = 'xmpp'`).run(id)
}

function toAccount(row: AccountRow): ChatAccount {
  let config: ChatServerConfig
  try {
    config = JSON.parse(row.config_json) as ChatServerConfig
  } catch {
    config = { resource: 'cairn' }
  }
  if (typeof config.resource !== 'string' || config.resource === '') config.resource = 'cairn'
  return { id: row.id, jid: row.email, name: row.name, config, createdAt: row.created_at }
}

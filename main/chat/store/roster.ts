import type { MailDb } from '../../mail/db/connection.js'
import { cached } from './statements.js'
import type { ChatContact, Subscription } from '../types.js'

interface ContactRow {
  account_id: number
  jid: string
  name: string
  subscription: Subscription
  ask: number
  incoming_request: number
  in_roster: number
  groups_json: string
}

export interface RosterItem {
  jid: string
  name: string
  subscription: Subscription
  ask: boolean
  groups: string[]
}

export function upsertRosterItem(db: MailDb, accountId: number, item: RosterItem): void {
  cached(
    db,
    `INSERT INTO chat_contacts (account_id, jid, name, subscription, ask, in_roster, groups_json)
     VALUES (?, ?, ?, ?, ?, 1, ?)
     ON CONFLICT (account_id, jid) DO UPDATE SET name = excluded.name, subscription = excluded.subscription,
       ask = excluded.ask, in_roster = 1, groups_json = excluded.groups_json,
       incoming_request = CASE WHEN excluded.subscription IN ('from', 'both') THEN 0 ELSE incoming_request END`,
  ).run(
    accountId,
    item.jid,
    item.name,
    item.subscription,
    item.ask ? 1 : 0,
    JSON.stringify(item.groups),
  )
}

export function removeRosterItem(db: MailDb, accountId: number, jid: string): void {
  cached(
    db,
    `UPDATE chat_contacts SET in_roster = 0, subscription = 'none', ask = 0 WHERE account_id = ? AND jid = ?`,
  ).run(accountId, jid)
  cached(
    db,
    `DELETE FROM chat_contacts WHERE account_id = ? AND jid = ? AND incoming_request = 0`,
  ).run(accountId, jid)
}

/** Replace the whole roster with the server's (a full roster fetch). */
export function replaceRoster(db: MailDb, accountId: number, items: RosterItem[]): void {
  cached(db, 'UPDATE chat_contacts SET in_roster = 0 WHERE account_id = ?').run(accountId)
  for (const item of items) upsertRosterItem(db, accountId, item)
  cached(
    db,
    'DELETE FROM chat_contacts WHERE account_id = ? AND in_roster = 0 AND incoming_request = 0',
  ).run(accountId)
}

export function setIncomingRequest(
  db: MailDb,
  accountId: number,
  jid: string,
  pending: boolean,
): void {
  if (pending) {
    cached(
      db,
      `INSERT INTO chat_contacts (account_id, jid, incoming_request, in_roster) VALUES (?, ?, 1, 0)
       ON CONFLICT (account_id, jid) DO UPDATE SET incoming_request = 1`,
    ).run(accountId, jid)
  } else {
    cached(
      db,
      'UPDATE chat_contacts SET incoming_request = 0 WHERE account_id = ? AND jid = ?',
    ).run(accountId, jid)
    cached(db, 'DELETE FROM chat_contacts WHERE account_id = ? AND jid = ? AND in_roster = 0').run(
      accountId,
      jid,
    )
  }
}

/** Whether `jid` (bare) is in the account's roster: a contact the user added, not a stranger. */
export function isInRoster(db: MailDb, accountId: number, jid: string): boolean {
  return !!cached(
    db,
    'SELECT 1 FROM chat_contacts WHERE account_id = ? AND jid = ? AND in_roster = 1',
  ).get(accountId, jid)
}

export function listContacts(db: MailDb, accountId: number): ChatContact[] {
  return cached<[number], ContactRow>(
    db,
    `SELECT account_id, jid, name, subscription, ask, incoming_request, in_roster, groups_json
         FROM chat_contacts WHERE account_id = ? ORDER BY jid`,
  )
    .all(accountId)
    .map((row) => ({
      accountId: row.account_id,
      jid: row.jid,
      name: row.name,
      subscription: row.subscription,
      ask: row.ask === 1,
      incomingRequest: row.incoming_request === 1,
      inRoster: row.in_roster === 1,
      groups: safeGroups(row.groups_json),
    }))
}

function safeGroups(json: string): string[] {
  try {
    const value = JSON.parse(json) as unknown
    return Array.isArray(value) ? value.filter((g): g is string => typeof g === 'string') : []
  } catch {
    return []
  }
}

export function syncState(db: MailDb, accountId: number) {
  return (
    cached<
      [number],
      {
        archive_last_id: string | null
        archive_synced_at: number | null
        roster_version: string | null
      }
    >(
      db,
      'SELECT archive_last_id, archive_synced_at, roster_version FROM chat_sync WHERE account_id = ?',
    ).get(accountId) ?? { archive_last_id: null, archive_synced_at: null, roster_version: null }
  )
}

export function setArchiveCursor(db: MailDb, accountId: number, lastId: string): void {
  cached(
    db,
    `INSERT INTO chat_sync (account_id, archive_last_id, archive_synced_at) VALUES (?, ?, ?)
     ON CONFLICT (account_id) DO UPDATE SET archive_last_id = excluded.archive_last_id, archive_synced_at = excluded.archive_synced_at`,
  ).run(accountId, lastId, Date.now())
}

export function setRosterVersion(db: MailDb, accountId: number, version: string | null): void {
  cached(
    db,
    `INSERT INTO chat_sync (account_id, roster_version) VALUES (?, ?)
     ON CONFLICT (account_id) DO UPDATE SET roster_version = excluded.roster_version`,
  ).run(accountId, version)
}

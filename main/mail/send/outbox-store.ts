import type { MailDb } from '../db/connection.js'

export interface OutboxEntry {
  id: number
  accountId: number
  messageId: string
  subject: string
  to: string[]
  state: 'queued' | 'sending' | 'sent' | 'failed'
  sentCopy: 'pending' | 'done' | 'not_needed'
  attempts: number
  nextAttemptAt: number
  /** Why the message is still here (shown to the user). */
  lastError: string | null
  createdAt: number
  sentAt: number | null
}

interface Row {
  id: number
  account_id: number
  message_id_header: string
  subject: string
  envelope_from: string
  envelope_to: string
  source_sha256: string
  state: OutboxEntry['state']
  sent_copy: OutboxEntry['sentCopy']
  attempts: number
  next_attempt_at: number
  last_error: string | null
  created_at: number
  sent_at: number | null
}

export type OutboxRow = OutboxEntry & { envelopeFrom: string; sourceSha256: string }

const toEntry = (r: Row): OutboxRow => ({
  id: r.id,
  accountId: r.account_id,
  messageId: r.message_id_header,
  subject: r.subject,
  to: JSON.parse(r.envelope_to) as string[],
  envelopeFrom: r.envelope_from,
  sourceSha256: r.source_sha256,
  state: r.state,
  sentCopy: r.sent_copy,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastError: r.last_error,
  createdAt: r.created_at,
  sentAt: r.sent_at,
})

export function insertOutbox(
  db: MailDb,
  entry: {
    accountId: number
    messageId: string
    subject: string
    from: string
    to: string[]
    sourceSha256: string
    sentCopy: 'pending' | 'not_needed'
  },
): number {
  const now = Date.now()
  return Number(
    db
      .prepare(
        `INSERT INTO outbox (account_id, message_id_header, envelope_from, envelope_to, subject, source_sha256,
                             state, sent_copy, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)`,
      )
      .run(
        entry.accountId,
        entry.messageId,
        entry.from,
        JSON.stringify(entry.to),
        entry.subject,
        entry.sourceSha256,
        entry.sentCopy,
        now,
        now,
      ).lastInsertRowid,
  )
}

export function listOutbox(db: MailDb): OutboxRow[] {
  return db.prepare<[], Row>('SELECT * FROM outbox ORDER BY id').all().map(toEntry)
}

/**
 * Entries with work left: to send (due, or all when forced), or with the copy
 * to Sent still to file: sent, or failed for some recipients after reaching
 * the others (sent_at says when someone first got it).
 */
export function outboxWork(db: MailDb, now: number, force: boolean): OutboxRow[] {
  return db
    .prepare<[number, number], Row>(
      `SELECT * FROM outbox
        WHERE (state = 'queued' AND (? OR next_attempt_at <= ?))
           OR (state = 'sent' AND sent_copy = 'pending')
           OR (state = 'failed' AND sent_copy = 'pending' AND sent_at IS NOT NULL)
        ORDER BY id`,
    )
    .all(force ? 1 : 0, now)
    .map(toEntry)
}

/**
 * Which entry a delivery works on: its id and its Message-ID. The id alone
 * is not enough: it is a rowid, and once the highest entry is deleted (its
 * account removed while the message was being sent) the next message queued
 * takes the same id. A delivery that listed the old entry must then find
 * nothing, not mark the new message sent (and drop it unsent).
 */
export type OutboxKey = Pick<OutboxEntry, 'id' | 'messageId'>

/** This entry, the one listed (see OutboxKey). */
const THIS_ENTRY = 'id = @id AND message_id_header = @messageId'

/** A send the app did not see finish (it quit or crashed) is tried again. */
export function requeueInterrupted(db: MailDb): number {
  return db.prepare(`UPDATE outbox SET state = 'queued' WHERE state = 'sending'`).run().changes
}

/**
 * Claim a queued entry for sending; false when it is no longer queued (the
 * user deleted it since the work was listed), so it is not sent after all.
 */
export function markSending(db: MailDb, entry: OutboxKey): boolean {
  return (
    db
      .prepare(
        `UPDATE outbox SET state = 'sending', attempts = attempts + 1
          WHERE ${THIS_ENTRY} AND state = 'queued'`,
      )
      .run(key(entry)).changes === 1
  )
}

export function markSent(db: MailDb, entry: OutboxKey): void {
  db.prepare(
    `UPDATE outbox SET state = 'sent', sent_at = @now, last_error = NULL WHERE ${THIS_ENTRY}`,
  ).run({ ...key(entry), now: Date.now() })
}

export function markRetry(
  db: MailDb,
  entry: OutboxKey,
  error: string,
  nextAttemptAt: number,
): void {
  db.prepare(
    `UPDATE outbox SET state = 'queued', last_error = @error, next_attempt_at = @next
      WHERE ${THIS_ENTRY}`,
  ).run({ ...key(entry), error, next: nextAttemptAt })
}

export function markFailed(db: MailDb, entry: OutboxKey, error: string): void {
  db.prepare(`UPDATE outbox SET state = 'failed', last_error = @error WHERE ${THIS_ENTRY}`).run({
    ...key(entry),
    error,
  })
}

/**
 * The copy in Sent is filed (error null) or failed. Only a sent entry's
 * reason is about its copy: one still queued or failed for some recipients
 * keeps the server's answer for them.
 */
export function markCopied(db: MailDb, entry: OutboxKey, error: string | null): void {
  if (error === null)
    db.prepare(
      `UPDATE outbox SET sent_copy = 'done',
                         last_error = CASE WHEN state = 'sent' THEN NULL ELSE last_error END
        WHERE ${THIS_ENTRY}`,
    ).run(key(entry))
  else
    db.prepare(`UPDATE outbox SET last_error = @error WHERE ${THIS_ENTRY} AND state = 'sent'`).run({
      ...key(entry),
      error,
    })
}

/** Sent and filed: the entries have done their job and leave the outbox (their sources with them). */
export function removeFinished(db: MailDb): number {
  return db.prepare(`DELETE FROM outbox WHERE state = 'sent' AND sent_copy <> 'pending'`).run()
    .changes
}

export function getOutboxEntry(db: MailDb, id: number): OutboxRow | null {
  const row = db.prepare<[number], Row>('SELECT * FROM outbox WHERE id = ?').get(id)
  return row ? toEntry(row) : null
}

/** A queued or failed entry becomes due now; false when it is in neither state. */
export function makeDue(db: MailDb, id: number): boolean {
  return (
    db
      .prepare(
        `UPDATE outbox SET state = 'queued', next_attempt_at = ?
          WHERE id = ? AND state IN ('queued', 'failed')`,
      )
      .run(Date.now(), id).changes === 1
  )
}

/**
 * Drop a queued or failed entry (the user gave up on it), its source with
 * it; false when it is in neither state.
 */
export function deleteWaiting(db: MailDb, id: number): boolean {
  return (
    db.prepare(`DELETE FROM outbox WHERE id = ? AND state IN ('queued', 'failed')`).run(id)
      .changes === 1
  )
}

/** Some recipients got it: narrow the entry to those it still has to reach. */
export function markPartlySent(db: MailDb, entry: OutboxKey, to: string[]): void {
  db.prepare(
    `UPDATE outbox SET envelope_to = @to, sent_at = coalesce(sent_at, @now) WHERE ${THIS_ENTRY}`,
  ).run({ ...key(entry), to: JSON.stringify(to), now: Date.now() })
}

/** The named parameters of THIS_ENTRY (a row's other fields are not bound). */
function key(entry: OutboxKey): { id: number; messageId: string } {
  return { id: entry.id, messageId: entry.messageId }
}

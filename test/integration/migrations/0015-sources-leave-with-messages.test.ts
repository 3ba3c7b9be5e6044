import { expect } from 'vitest'
import { sourcesLeaveWithMessages } from '../../../main/mail/db/migrations/0015-sources-leave-with-messages'
import { describeMigration, putTestSource, type Db } from '../../support/migrations'

const [A, B, C, D, E] = ['a', 'b', 'c', 'd', 'e'].map((c) => c.repeat(64)) as [
  string,
  string,
  string,
  string,
  string,
]

const sources = (db: Db) =>
  (
    db.prepare('SELECT sha256 FROM message_sources ORDER BY sha256').all() as { sha256: string }[]
  ).map((r) => r.sha256[0])

const queue = (db: Db, sha: string) =>
  Number(
    db
      .prepare(
        `INSERT INTO outbox (account_id, message_id_header, envelope_from, envelope_to, source_sha256,
                             state, next_attempt_at, created_at)
         VALUES (2, ?, 'me@example.com', '["you@example.com"]', ?, 'queued', 0, 1)`,
      )
      .run(`<${sha[0]}@x>`, sha).lastInsertRowid,
  )

describeMigration(sourcesLeaveWithMessages, {
  seed(db) {
    // Rowids 1–5: A a synced message's, B an imported one's, C an outbox
    // entry's, D shared by an imported message and an outbox entry, E held
    // by nothing (left behind by an earlier version).
    for (const sha of [A, B, C, D, E]) putTestSource(db, sha)
    db.prepare(
      `INSERT INTO remote_folders (folder_id, account_id, imap_path, uidvalidity) VALUES (3, 2, 'INBOX', 7)`,
    ).run()
    db.prepare(
      `INSERT INTO remote_messages (message_id, account_id, folder_id, uidvalidity, uid, state, source_sha256)
       VALUES (3, 2, 3, 7, 41, 'full', ?)`,
    ).run(A)
    db.prepare('UPDATE messages SET source_sha256 = ? WHERE id = 1').run(B)
    db.prepare('UPDATE messages SET source_sha256 = ? WHERE id = 2').run(D)
    queue(db, C)
    queue(db, D)
  },
  // The source no row held is removed once, by the migration itself.
  allow: { removedRows: { message_sources: [5] } },
  checks(db) {
    expect(sources(db)).toEqual(['a', 'b', 'c', 'd'])

    // A synced message deleted (its server copy goes by cascade): its bytes go too.
    db.prepare('DELETE FROM messages WHERE id = 3').run()
    expect(sources(db)).toEqual(['b', 'c', 'd'])

    // An outbox entry given up on: its bytes go.
    db.prepare(`DELETE FROM outbox WHERE source_sha256 = ?`).run(C)
    expect(sources(db)).toEqual(['b', 'd'])

    // A message pointed at other bytes releases the old ones.
    db.prepare('UPDATE messages SET source_sha256 = ? WHERE id = 1').run(D)
    expect(sources(db)).toEqual(['d'])

    // Shared bytes stay while anything still holds them.
    db.prepare(`DELETE FROM outbox WHERE source_sha256 = ?`).run(D)
    db.prepare('DELETE FROM messages WHERE id = 2').run()
    expect(sources(db)).toEqual(['d'])
    db.prepare('DELETE FROM messages WHERE id = 1').run()
    expect(sources(db)).toEqual([])

    // Removing an account takes its queued mail's bytes with it.
    putTestSource(db, 'f'.repeat(64))
    queue(db, 'f'.repeat(64))
    expect(sources(db)).toEqual(['f'])
    db.prepare('DELETE FROM accounts WHERE id = 2').run()
    expect(sources(db)).toEqual([])

    // Each check is an index lookup, not a scan of the table.
    for (const table of ['remote_messages', 'messages', 'outbox']) {
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN SELECT 1 FROM ${table} WHERE source_sha256 = ?`)
        .all('x') as { detail: string }[]
      expect(plan.map((p) => p.detail).join(' ')).toContain(`${table}_by_source`)
    }
  },
})

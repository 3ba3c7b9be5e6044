import { expect } from 'vitest'
import { searchDateSpans } from '../../../main/mail/db/migrations/0014-search-date-spans'
import { describeMigration, type Db } from '../../support/migrations'

const insert = (db: Db, id: number, date: number) =>
  db
    .prepare(
      `INSERT INTO messages (id, folder_id, message_id, content_hash, subject, date, size)
       VALUES (?, 1, ?, ?, 'x', ?, 1)`,
    )
    .run(id, `s${id}@x`, `s${id}`, date)

const spans = (db: Db) =>
  db.prepare('SELECT block, first_date, last_date FROM message_date_spans ORDER BY block').all()

describeMigration(searchDateSpans, {
  seed(db) {
    // Two messages in block 1 (ids 1024–2047), dates out of id order; one in block 3.
    insert(db, 1500, 900)
    insert(db, 2000, 400)
    insert(db, 3100, 50)
  },
  checks(db) {
    // Block 0 holds schema 1's messages (ids 1–3, dates 1–3).
    expect(spans(db)).toEqual([
      { block: 0, first_date: 1, last_date: 3 },
      { block: 1, first_date: 400, last_date: 900 },
      { block: 3, first_date: 50, last_date: 50 },
    ])
    // Kept by triggers: a new message widens its block's span or starts one.
    insert(db, 1800, 1200)
    insert(db, 5000, 7)
    db.prepare('UPDATE messages SET date = 20 WHERE id = 2000').run()
    // Deleting never narrows a span (it stays a superset of its messages' dates).
    db.prepare('DELETE FROM messages WHERE id = 3100').run()
    expect(spans(db)).toEqual([
      { block: 0, first_date: 1, last_date: 3 },
      { block: 1, first_date: 20, last_date: 1200 },
      { block: 3, first_date: 50, last_date: 50 },
      { block: 4, first_date: 7, last_date: 7 },
    ])
    // Every message's date lies within its block's span.
    const outside = db
      .prepare(
        `SELECT count(*) AS n FROM messages m JOIN message_date_spans s ON s.block = m.id >> 10
          WHERE m.date < s.first_date OR m.date > s.last_date`,
      )
      .get() as { n: number }
    expect(outside.n).toBe(0)
    expect(
      (
        db
          .prepare(
            'SELECT count(*) AS n FROM messages m WHERE NOT EXISTS (SELECT 1 FROM message_date_spans s WHERE s.block = m.id >> 10)',
          )
          .get() as { n: number }
      ).n,
    ).toBe(0)
  },
})

import { expect } from 'vitest'
import { threadsAndSorting } from '../../../main/mail/db/migrations/0012-threads-and-sorting'
import { describeMigration, type Db } from '../../support/migrations'

const insert = (
  db: Db,
  m: {
    id: number
    folder: number
    messageId: string
    inReplyTo?: string
    refs?: string[]
    seen?: number
    date: number
  },
) =>
  db
    .prepare(
      `INSERT INTO messages (id, folder_id, message_id, content_hash, thread_id, in_reply_to, references_json,
                             subject, date, seen, size)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'x', ?, ?, 1)`,
    )
    .run(
      m.id,
      m.folder,
      m.messageId,
      `h${m.id}`,
      m.id,
      m.inReplyTo ?? '',
      JSON.stringify(m.refs ?? []),
      m.date,
      m.seen ?? 1,
    )

const threadOf = (db: Db, id: number) =>
  (db.prepare('SELECT thread_id FROM messages WHERE id = ?').get(id) as { thread_id: number })
    .thread_id

const folderThreads = (db: Db, folder: number) =>
  db
    .prepare(
      'SELECT thread_id, last_date, messages, unread FROM folder_threads WHERE folder_id = ? ORDER BY thread_id',
    )
    .all(folder)

describeMigration(threadsAndSorting, {
  seed(db) {
    // A grandchild stored before its parent: the old rule (In-Reply-To only) split them.
    insert(db, { id: 10, folder: 1, messageId: 'root@x', date: 100 })
    insert(db, {
      id: 11,
      folder: 2,
      messageId: 'grand@x',
      inReplyTo: 'mid@x',
      refs: ['root@x', 'mid@x'],
      date: 300,
      seen: 0,
    })
    // Two replies to a message Cairn does not have: one conversation (JWZ's empty container).
    insert(db, {
      id: 12,
      folder: 1,
      messageId: 'r1@x',
      inReplyTo: 'lost@x',
      refs: ['lost@x'],
      date: 200,
    })
    insert(db, {
      id: 13,
      folder: 1,
      messageId: 'r2@x',
      inReplyTo: 'lost@x',
      refs: ['lost@x'],
      date: 250,
      seen: 0,
    })
  },
  allow: { changedColumns: { messages: ['thread_id'] } },
  checks(db) {
    expect(threadOf(db, 11)).toBe(threadOf(db, 10))
    expect(threadOf(db, 13)).toBe(threadOf(db, 12))
    expect(threadOf(db, 12)).not.toBe(threadOf(db, 10))
    // From schema 1: message 3 replies to message 1 across accounts' folders.
    expect(threadOf(db, 3)).toBe(threadOf(db, 1))

    const refs = db
      .prepare('SELECT message_id, ref FROM message_refs ORDER BY message_id, ref')
      .all()
    expect(refs).toEqual(
      expect.arrayContaining([
        { message_id: 11, ref: 'mid@x' },
        { message_id: 11, ref: 'root@x' },
        { message_id: 13, ref: 'lost@x' },
      ]),
    )

    // One row per conversation per folder, with its newest date and unread count.
    const t12 = threadOf(db, 12)
    expect(folderThreads(db, 1)).toEqual(
      expect.arrayContaining([{ thread_id: t12, last_date: 250, messages: 2, unread: 1 }]),
    )
    // Triggers keep it: read, move, delete.
    db.prepare('UPDATE messages SET seen = 1 WHERE id = 13').run()
    expect(folderThreads(db, 1)).toContainEqual({
      thread_id: t12,
      last_date: 250,
      messages: 2,
      unread: 0,
    })
    db.prepare('UPDATE messages SET folder_id = 2 WHERE id = 13').run()
    expect(folderThreads(db, 1)).toContainEqual({
      thread_id: t12,
      last_date: 200,
      messages: 1,
      unread: 0,
    })
    expect(folderThreads(db, 2)).toContainEqual({
      thread_id: t12,
      last_date: 250,
      messages: 1,
      unread: 0,
    })
    db.prepare('DELETE FROM messages WHERE id = 13').run()
    expect(folderThreads(db, 2).some((r) => (r as { thread_id: number }).thread_id === t12)).toBe(
      false,
    )
    insert(db, { id: 14, folder: 1, messageId: 'n@x', date: 500, seen: 0 })
    expect(folderThreads(db, 1)).toContainEqual({
      thread_id: 14,
      last_date: 500,
      messages: 1,
      unread: 1,
    })
    // The sums agree with the messages, folder by folder.
    const sums = db
      .prepare(
        `SELECT folder_id, count(*) AS n, sum(seen = 0) AS unread FROM messages
          WHERE thread_id IS NOT NULL GROUP BY folder_id ORDER BY folder_id`,
      )
      .all()
    const kept = db
      .prepare(
        'SELECT folder_id, sum(messages) AS n, sum(unread) AS unread FROM folder_threads GROUP BY folder_id ORDER BY folder_id',
      )
      .all()
    expect(kept).toEqual(sums)
  },
})

import { expect } from 'vitest'
import { searchTerms } from '../../../main/mail/db/migrations/0011-search-terms'
import { describeMigration, type Db } from '../../support/migrations'

const insert = (db: Db, id: number, subject: string, text: string, html: string | null) =>
  db
    .prepare(
      `INSERT INTO messages (id, folder_id, message_id, content_hash, subject, participants, date,
                             snippet, body_text, body_html, size)
       VALUES (?, 1, ?, ?, ?, 'Yuki yuki@example.jp', 10, ?, ?, ?, 10)`,
    )
    .run(id, `m${id}@x`, `h${id}`, subject, text.slice(0, 200), text, html)

const hits = (db: Db, table: string, query: string) =>
  (
    db.prepare(`SELECT rowid FROM ${table} WHERE ${table} MATCH ? ORDER BY rowid`).all(query) as {
      rowid: number
    }[]
  ).map((r) => r.rowid)

describeMigration(searchTerms, {
  seed(db) {
    // A body taken from HTML by the old converter, entities left as typed.
    insert(
      db,
      4,
      'Menu',
      'Caf&eacute; cr&egrave;me &amp; more &#233;t&#xE9;',
      '<p>Caf&eacute;…</p>',
    )
    // Plain text that happens to contain an entity-like string stays as it is.
    insert(db, 5, 'HTML tips', 'write &amp; for an ampersand', null)
    insert(db, 6, '会议通知', '明天的会议记录在附件里。', null)
  },
  allow: { changedColumns: { messages: ['body_text', 'snippet'] } },
  checks(db) {
    const body = (id: number) =>
      db.prepare('SELECT body_text, snippet FROM messages WHERE id = ?').get(id) as {
        body_text: string
        snippet: string
      }
    expect(body(4)).toEqual({
      body_text: 'Café crème & more été',
      snippet: 'Café crème & more été',
    })
    expect(body(5).body_text).toBe('write &amp; for an ampersand')
    // The decoded text is what the main index finds now, accents folded.
    expect(hits(db, 'messages_fts', '"cafe" "creme"')).toEqual([4])
    expect(hits(db, 'messages_fts', '"eacute"')).toEqual([])

    // Attachment names and CJK bigrams are in the new index.
    expect(hits(db, 'message_terms', 'names : "receipt"')).toEqual([2])
    expect(hits(db, 'message_terms', 'names : "logo"')).toEqual([2])
    expect(hits(db, 'message_terms', 'cjk : "会议"')).toEqual([6])
    expect(hits(db, 'message_terms', 'cjk : "会议 议记 记录"')).toEqual([6])
    expect(hits(db, 'message_terms', 'cjk : "通知"')).toEqual([6])
    // A deleted message leaves the new index with it.
    db.prepare('DELETE FROM messages WHERE id = 6').run()
    expect(hits(db, 'message_terms', 'cjk : "会议"')).toEqual([])

    const indexes = (
      db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'index'`).all() as { name: string }[]
    ).map((r) => r.name)
    expect(indexes).toEqual(
      expect.arrayContaining(['messages_search_filter', 'messages_unread', 'messages_flagged']),
    )
  },
})

import { decodeHTML } from 'entities'
import { hasCjk } from '../../search/cjk.js'
import { indexMessageTerms } from '../../search/term-index.js'
import type { Migration } from '../migration.js'

/**
 * Search, issue 11: what the full-text index could not find, and indexes
 * for the search operators.
 *
 * - `message_terms`: a second FTS5 index beside messages_fts (which is left
 *   as it is: rebuilding it costs about a minute at 150,000 messages) with
 *   attachment names and CJK text as bigrams (see search/cjk.ts). It is
 *   contentless (its text is derived, never shown) with contentless_delete,
 *   so a deleted message's row goes by trigger. Rows are written by the
 *   store's writers; this step fills it from the messages already stored:
 *   attachment names from `attachments`, CJK text found through the main
 *   index's own vocabulary (only messages holding a CJK token are read).
 * - Bodies taken from HTML kept character references literally
 *   ("caf&eacute;"); they are decoded and re-indexed here.
 * - `messages_search_filter` covers every column an operator filters on, in
 *   rowid order: a search with only operators walks this small index newest
 *   first instead of whole rows (bodies included). Partial indexes find
 *   unread and starred messages without a walk.
 */
export const searchTerms: Migration = {
  version: 11,
  name: 'search: attachment names, CJK, operators',
  up(db) {
    db.exec(`
      CREATE VIRTUAL TABLE message_terms USING fts5(
        names, cjk,
        content = '', contentless_delete = 1,
        tokenize = 'unicode61 remove_diacritics 2',
        prefix = '1 2 3'
      );
      CREATE TRIGGER message_terms_delete AFTER DELETE ON messages BEGIN
        DELETE FROM message_terms WHERE rowid = OLD.id;
      END;

      CREATE INDEX messages_search_filter
        ON messages (id, folder_id, date, seen, flagged, has_attachments);
      CREATE INDEX messages_unread ON messages (id) WHERE seen = 0;
      CREATE INDEX messages_flagged ON messages (id) WHERE flagged = 1;
    `)

    // Bodies whose text came from HTML: decode what the old converter left.
    const entity = /&(#\d{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,31});/i
    const fixText = db.prepare('UPDATE messages SET body_text = ?, snippet = ? WHERE id = ?')
    const bodyOf = db.prepare<[number], { body_text: string }>(
      'SELECT body_text FROM messages WHERE id = ?',
    )
    const candidates = db
      .prepare<[], { id: number }>(
        `SELECT id FROM messages WHERE body_html IS NOT NULL AND instr(body_text, '&') > 0`,
      )
      .all()
    for (const { id } of candidates) {
      const body = bodyOf.get(id)?.body_text ?? ''
      if (!entity.test(body)) continue
      const text = decodeHTML(body)
      if (text !== body) fixText.run(text, text.replace(/\s+/g, ' ').trim().slice(0, 200), id)
    }

    // Which messages hold CJK text: the main index already knows every token.
    db.exec(`CREATE VIRTUAL TABLE temp.vocabulary USING fts5vocab(main, messages_fts, 'row')`)
    const withCjk = new Set<number>()
    const hits = db.prepare<[string], { rowid: number }>(
      'SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?',
    )
    // Hiragana and katakana, CJK ideographs (extension A and the main block), hangul.
    const cjkTerms = db
      .prepare<[], { term: string }>(
        `SELECT term FROM temp.vocabulary
          WHERE term GLOB '*[぀-ヿ]*' OR term GLOB '*[㐀-䶿]*' OR term GLOB '*[一-鿿]*'
             OR term GLOB '*[가-힯]*' OR term GLOB '*[豈-﫿]*'`,
      )
      .all()
    for (const { term } of cjkTerms) {
      if (hasCjk(term))
        for (const { rowid } of hits.all(`"${term.replace(/"/g, '""')}"`)) withCjk.add(rowid)
    }
    db.exec('DROP TABLE temp.vocabulary')

    const names = new Map<number, string[]>()
    for (const row of db
      .prepare<[], { message_id: number; filename: string }>(
        `SELECT message_id, filename FROM attachments ORDER BY message_id, id`,
      )
      .all()) {
      const list = names.get(row.message_id) ?? []
      list.push(row.filename)
      names.set(row.message_id, list)
    }
    const textOf = db.prepare<
      [number],
      { subject: string; participants: string; body_text: string }
    >('SELECT subject, participants, body_text FROM messages WHERE id = ?')
    for (const id of new Set([...names.keys(), ...withCjk])) {
      const row = withCjk.has(id) ? textOf.get(id) : undefined
      indexMessageTerms(db, id, {
        subject: row?.subject ?? '',
        participants: row?.participants ?? '',
        text: row?.body_text ?? '',
        attachmentNames: names.get(id) ?? [],
      })
    }
  },
}

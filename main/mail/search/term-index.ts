import type { MailDb } from '../db/connection.js'
import { perConnection } from '../db/per-connection.js'
import { cjkTerms } from './cjk.js'

/** What the extra index holds for a message: its attachments' names and its CJK text as bigrams. */
export interface MessageTerms {
  subject: string
  participants: string
  text: string
  attachmentNames: string[]
}

const writersOf = perConnection((db) => ({
  remove: db.prepare('DELETE FROM message_terms WHERE rowid = ?'),
  insert: db.prepare('INSERT INTO message_terms (rowid, names, cjk) VALUES (?, ?, ?)'),
}))

/**
 * Index (or index again) a message's extra terms (message_terms, beside
 * messages_fts): only messages with attachments or CJK text get a row. A
 * deleted message's row goes by trigger; this is called where text is
 * written (a new message, a body fetched later).
 */
export function indexMessageTerms(db: MailDb, messageId: number, terms: MessageTerms): void {
  const s = writersOf(db)
  const names = terms.attachmentNames.join(' ')
  const cjk = cjkTerms(`${terms.subject}\n${terms.participants}\n${terms.text}`)
  s.remove.run(messageId)
  if (names || cjk) s.insert.run(messageId, names, cjk)
}

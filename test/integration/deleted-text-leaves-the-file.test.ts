import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { snapshotSqlite, type SqliteSnapshot } from '../../main/backup/snapshot/sqlite-snapshot'
import { deleteChatAccount, insertChatAccount } from '../../main/chat/store/accounts'
import { ensureChat } from '../../main/chat/store/chats'
import { storeChatMessage } from '../../main/chat/store/messages'
import { FolderActions } from '../../main/mail/actions/folder-actions'
import { MailActions } from '../../main/mail/actions/message-actions'
import { openMailDb, type MailDb } from '../../main/mail/db/connection'
import { importMail } from '../../main/mail/import/import-mail'
import { buildMbox, buildMessage } from '../support/mail-fixtures'
import { tempDir } from '../support/temp'

/**
 * Mail deleted for good, and chat gone with its account, must leave the
 * database file's bytes: its rows and the pages SQLite frees. And so every
 * backup taken afterwards, whichever way the snapshot is made (the live file
 * frozen, or copied page by page with the online backup API when a reader
 * pins the WAL).
 *
 * Not yet the full-text indexes' segments (`*_fts_data`): FTS5 deletes a
 * document with a marker and drops its words only when a merge rewrites the
 * segment. Its 'secure-delete' option cost about 17 ms of the writer's time
 * per deleted message here, a freeze when Trash is emptied, so it is not on
 * (docs/decisions.md). `INDEX_SEGMENTS` names those holders.
 */

// Words no other word in the mailbox starts like: a full-text index stores each
// word after the first of a page only from where it differs from the one
// before, so it is the word's tail (from the third letter) that is looked for.
const SUBJECT = 'vxsubjmark'
const BODY = 'wzbodymark'
const ADDRESS = 'yqaddrmark'
const CHAT = 'kjchatmark'

/** Who holds each copy of `word` in a database file's bytes: a table or index, or 'free'. */
function holdersIn(bytes: Buffer, word: string, db: MailDb): string[] {
  const pageSize = db.pragma('page_size', { simple: true }) as number
  const owner = db.prepare<[number], { name: string }>('SELECT name FROM dbstat WHERE pageno = ?')
  const tail = word.slice(2)
  const holders: string[] = []
  for (let at = bytes.indexOf(tail); at >= 0; at = bytes.indexOf(tail, at + 1))
    holders.push(owner.get(Math.floor(at / pageSize) + 1)?.name ?? 'free')
  return [...new Set(holders)].sort()
}

const fileBytes = (path: string) => (existsSync(path) ? readFileSync(path) : Buffer.alloc(0))

function profileWithMail() {
  const dir = tempDir('cairn-privacy-')
  const file = join(dir, 'mail.sqlite')
  const db = openMailDb(file)
  // Mail around the one deleted, so that its rows share pages with mail that stays.
  const others = Array.from({ length: 120 }, (_, i) =>
    buildMessage({
      subject: `Weekly note ${i}`,
      text: `Nothing secret in note ${i}. `.repeat(40 + (i % 30)),
    }),
  )
  const secret = buildMessage({
    from: `Quokka Sender <${ADDRESS}@example.com>`,
    subject: `About the ${SUBJECT} plan`,
    // Longer than a page: the body's overflow pages are freed whole.
    text: `The ${BODY} stays between us.\n`.repeat(400),
  })
  const mbox = join(dir, 'Inbox.mbox')
  writeFileSync(mbox, buildMbox([...others.slice(0, 60), secret, ...others.slice(60)]))
  return { dir, file, db, mbox }
}

async function deleteForGood(db: MailDb, subjectWord: string) {
  const actions = new MailActions(db, null, new FolderActions(db, null))
  const id = () =>
    db
      .prepare<[string], { id: number }>('SELECT id FROM messages WHERE subject LIKE ?')
      .get(`%${subjectWord}%`)!.id
  await actions.delete([id()]) // to Trash
  const result = await actions.delete([id()]) // from Trash: for good
  expect(result.summary).toBe('Deleted 1 message for good')
  expect(
    db.prepare('SELECT count(*) AS n FROM messages WHERE subject LIKE ?').get(`%${subjectWord}%`),
  ).toEqual({ n: 0 })
}

/** The full-text indexes' segments, which keep a deleted message's words until merged (see above). */
const INDEX_SEGMENTS = /^(messages_fts_data|chat_messages_fts_data|message_terms_data)$/

const outsideIndexes = (holders: string[]) => holders.filter((h) => !INDEX_SEGMENTS.test(h))

function expectGone(bytes: Buffer, db: MailDb, where: string) {
  expect(outsideIndexes(holdersIn(bytes, SUBJECT, db)), `subject in ${where}`).toEqual([])
  expect(outsideIndexes(holdersIn(bytes, BODY, db)), `body in ${where}`).toEqual([])
  // The address book keeps everyone who ever wrote (contacts); nothing else may.
  for (const holder of outsideIndexes(holdersIn(bytes, ADDRESS, db)))
    expect(holder, `address in ${where}`).toMatch(/^(contacts|sqlite_autoindex_contacts_1)$/)
}

describe('text of mail deleted for good', () => {
  it('is in the file before, and leaves the file, the WAL and a frozen backup snapshot after', async () => {
    const { dir, file, db, mbox } = profileWithMail()
    expect(
      (await importMail({ db, attachmentsDir: join(dir, 'attachments'), paths: [mbox] })).imported,
    ).toBe(121)
    db.pragma('wal_checkpoint(TRUNCATE)')
    // The test can fail: the words are there, in the rows and in the index.
    const before = readFileSync(file)
    expect(holdersIn(before, SUBJECT, db)).toEqual(
      expect.arrayContaining(['messages', 'messages_fts_data']),
    )
    expect(holdersIn(before, BODY, db)).toEqual(
      expect.arrayContaining(['messages', 'messages_fts_data']),
    )
    expect(holdersIn(before, ADDRESS, db)).toEqual(
      expect.arrayContaining(['messages', 'messages_fts_data']),
    )

    await deleteForGood(db, SUBJECT)
    db.pragma('wal_checkpoint(PASSIVE)')
    expectGone(readFileSync(file), db, 'the database file')

    // A backup freezes the live file (after a TRUNCATE checkpoint) and reads it.
    const snapshot = await snapshotSqlite(file, join(tempDir(), 'mail.sqlite'))
    try {
      expect(snapshot.method).toBe('frozen')
      expectGone(readFileSync(snapshot.path), db, 'the frozen snapshot')
    } finally {
      snapshot.release()
    }
    // That checkpoint left the WAL empty: none of the old page images it held remain.
    expect(fileBytes(`${file}-wal`).indexOf(BODY.slice(2))).toBe(-1)
    db.close()
  })

  it('is not in the copy a backup makes page by page while a reader holds the WAL', async () => {
    const { dir, file, db, mbox } = profileWithMail()
    await importMail({ db, attachmentsDir: join(dir, 'attachments'), paths: [mbox] })
    db.pragma('wal_checkpoint(TRUNCATE)')
    await deleteForGood(db, SUBJECT)

    // A reader holding WAL frames: the backup cannot freeze the file and copies it.
    const reader = openMailDb(file, { readonly: true })
    let snapshot: SqliteSnapshot | undefined
    try {
      reader.exec('BEGIN')
      reader.prepare('SELECT count(*) FROM messages').get()
      snapshot = await snapshotSqlite(file, join(tempDir(), 'mail.sqlite'))
      expect(snapshot.method).toBe('copy')
      expectGone(readFileSync(snapshot.path), db, 'the copied snapshot')
    } finally {
      snapshot?.release()
      reader.exec('ROLLBACK')
      reader.close()
      db.close()
    }
  })
})

describe('chat gone with its account', () => {
  it('leaves the file and the backup snapshot', async () => {
    const file = join(tempDir('cairn-privacy-'), 'mail.sqlite')
    const db = openMailDb(file)
    const keep = insertChatAccount(db, 'me@chat.example', 'Kept', { resource: 'cairn-test' })
    const drop = insertChatAccount(db, 'me@other.example', 'Removed', { resource: 'cairn-test' })
    const store = (account: number, peer: string, body: string, n: number) => {
      const chatId = ensureChat(db, account, peer, 'direct')
      for (let i = 0; i < n; i++)
        storeChatMessage(db, {
          chatId,
          direction: 'in',
          sender: peer,
          originId: `${peer}-${i}`,
          archiveId: null,
          body: `${body} ${i}`,
          sentAt: i,
          receivedAt: i,
          state: 'received',
          seen: true,
          place: 'end',
        })
    }
    store(keep, 'bob@chat.example', 'see you at the standup tomorrow', 300)
    store(drop, 'eve@other.example', `the ${CHAT} is under the mat`, 300)
    db.pragma('wal_checkpoint(TRUNCATE)')
    expect(holdersIn(readFileSync(file), CHAT, db)).toEqual(
      expect.arrayContaining(['chat_messages', 'chat_messages_fts_data']),
    )

    deleteChatAccount(db, drop) // what ChatService.removeAccount does
    db.pragma('wal_checkpoint(PASSIVE)')
    expect(outsideIndexes(holdersIn(readFileSync(file), CHAT, db))).toEqual([])
    const snapshot = await snapshotSqlite(file, join(tempDir(), 'mail.sqlite'))
    try {
      expect(outsideIndexes(holdersIn(readFileSync(snapshot.path), CHAT, db))).toEqual([])
    } finally {
      snapshot.release()
    }
    db.close()
  })
})

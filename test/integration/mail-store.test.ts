import { describe, expect, it } from 'vitest'
import { ensureLocalAccount } from '../../main/mail/store/accounts'
import { ensureFolder, listFolders } from '../../main/mail/store/folders'
import {
  listMessages,
  messageWriter,
  setSeen,
  type NewMessage,
} from '../../main/mail/store/messages'
import { remoteMessageStore, type RemoteHeader } from '../../main/mail/store/remote-messages'
import { searchMessages } from '../../main/mail/store/search'
import { tempMailDb } from '../support/mail-db'

function message(folderId: number, n: number, overrides: Partial<NewMessage> = {}): NewMessage {
  return {
    folderId,
    messageId: `m${n}@example.com`,
    contentHash: `hash-${n}`,
    inReplyTo: '',
    references: [],
    subject: `Message ${n}`,
    from: { name: `Sender ${n % 7}`, address: `sender${n % 7}@example.com` },
    to: [{ name: 'Me', address: 'me@example.com' }],
    cc: [],
    // Several messages share a date, so ordering must fall back to the id.
    date: Date.UTC(2026, 0, 1) + Math.floor(n / 3) * 60_000,
    seen: n % 2 === 0,
    flagged: false,
    snippet: '',
    text: `body of message ${n}`,
    html: null,
    size: 100,
    attachments: [],
    ...overrides,
  }
}

describe('mailbox store', () => {
  it('pages through a folder by keyset in the same order as one big query, newest first', () => {
    const { db } = tempMailDb()
    const folder = ensureFolder(db, ensureLocalAccount(db), 'Inbox')
    const insert = messageWriter(db)
    db.transaction(() => {
      for (let n = 0; n < 1000; n++) insert(message(folder, n))
    })()
    const all = listMessages(db, folder, { limit: 1000 }).messages.map((m) => m.id)
    const paged: number[] = []
    let page = listMessages(db, folder, { limit: 64 })
    for (;;) {
      paged.push(...page.messages.map((m) => m.id))
      if (!page.next) break
      page = listMessages(db, folder, { cursor: page.next, limit: 64 })
    }
    expect(paged).toEqual(all)
    const dates = listMessages(db, folder, { limit: 1000 }).messages.map((m) => m.date)
    expect([...dates].sort((a, b) => b - a)).toEqual(dates)
    // A jump by offset lands on the same rows as paging there.
    expect(listMessages(db, folder, { offset: 500, limit: 10 }).messages.map((m) => m.id)).toEqual(
      all.slice(500, 510),
    )
    expect(listMessages(db, folder, { offset: 5000, limit: 10 }).messages).toEqual([])
  })

  it('stores a batch as one message at a time would: the same rows, threads, counts and duplicates', () => {
    // Replies in both directions (a reply before its original, a reference chain), a
    // duplicate inside the batch and one already stored, across batch sizes 64 + 32 + 4 + 1.
    const batch = (folder: number) =>
      Array.from({ length: 101 }, (_, n) =>
        message(folder, n, {
          inReplyTo:
            n % 5 === 1 ? `m${n + 3}@example.com` : n % 5 === 2 ? `m${n - 2}@example.com` : '',
          references: n % 7 === 3 ? [`m${n - 3}@example.com`, `m${n - 1}@example.com`] : [],
          attachments:
            n % 9 === 0
              ? [
                  {
                    filename: `f${n}.pdf`,
                    mimeType: 'application/pdf',
                    size: 1,
                    sha256: 'a'.repeat(64),
                    contentId: null,
                    disposition: 'attachment' as const,
                  },
                ]
              : [],
        }),
      )
    const outcome = (many: boolean) => {
      const { db } = tempMailDb()
      const folder = ensureFolder(db, ensureLocalAccount(db), 'Inbox')
      const insert = messageWriter(db)
      const messages = batch(folder)
      const stored = insert(messages[40] as NewMessage) // already there before the batch
      const withDuplicate = [...messages, messages[7] as NewMessage]
      const ids = db.transaction(() =>
        many ? insert.many(withDuplicate) : withDuplicate.map((m) => insert(m)),
      )()
      const rows = db
        .prepare(
          `SELECT id, thread_id, message_id, has_attachments, participants FROM messages ORDER BY id`,
        )
        .all()
      const threads = db.prepare('SELECT * FROM folder_threads ORDER BY thread_id').all()
      const contacts = db.prepare('SELECT * FROM contacts ORDER BY address').all()
      const folderRow = listFolders(db).find((f) => f.id === folder)
      const found = searchMessages(db, 'body', 500).length
      return { stored, ids, rows, threads, contacts, folderRow, found }
    }
    const one = outcome(false)
    const many = outcome(true)
    expect(many).toEqual(one)
    expect(many.ids[40]).toBeNull() // stored before
    expect(many.ids[101]).toBeNull() // the same message twice in one batch
    expect(many.ids.filter((id) => id !== null)).toHaveLength(100)
    expect(new Set(many.rows.map((r) => (r as { thread_id: number }).thread_id)).size).toBeLessThan(
      101,
    )
    expect(many.found).toBe(101)
  })

  it('takes a UID a server answers twice in one header batch once, as its first answer', () => {
    const { db } = tempMailDb()
    const account = ensureLocalAccount(db)
    const folder = ensureFolder(db, account, 'Inbox')
    const store = remoteMessageStore(db, account)
    const header = (uid: number, messageId: string): RemoteHeader => ({
      uid,
      modseq: 0n,
      flags: [],
      messageId,
      inReplyTo: '',
      references: [],
      subject: messageId,
      from: { name: '', address: 'a@example.com' },
      to: [],
      cc: [],
      date: Date.UTC(2026, 0, 1),
      size: 10,
    })
    const added = db.transaction(() =>
      store.insertHeaders(folder, 'INBOX', 7, [
        header(1, 'first@x'),
        header(2, 'two@x'),
        header(1, 'again@x'),
      ]),
    )()
    expect(added).toBe(2)
    expect(db.prepare('SELECT message_id FROM messages ORDER BY id').pluck().all()).toEqual([
      'first@x',
      'two@x',
    ])
    // And a second batch with the same UIDs adds nothing.
    expect(
      db.transaction(() => store.insertHeaders(folder, 'INBOX', 7, [header(2, 'two@x')]))(),
    ).toBe(0)
  })

  it('keeps folder counts and unread counts as messages arrive and are read', () => {
    const { db } = tempMailDb()
    const account = ensureLocalAccount(db)
    const inbox = ensureFolder(db, account, 'Inbox')
    const insert = messageWriter(db)
    const ids = [0, 1, 2, 3].map((n) => insert(message(inbox, n)) as number)
    expect(listFolders(db).find((f) => f.id === inbox)).toMatchObject({
      total: 4,
      unread: 2,
      specialUse: '\\Inbox',
    })
    setSeen(db, ids[1] as number, true)
    setSeen(db, ids[1] as number, true)
    expect(listFolders(db).find((f) => f.id === inbox)).toMatchObject({ total: 4, unread: 1 })
  })

  it('creates nested folders with their parents', () => {
    const { db } = tempMailDb()
    const account = ensureLocalAccount(db)
    const id = ensureFolder(db, account, 'Archive/2023/Q1')
    expect(ensureFolder(db, account, 'Archive/2023/Q1')).toBe(id)
    const folders = listFolders(db)
    expect(folders.map((f) => f.path).sort()).toEqual([
      'Archive',
      'Archive/2023',
      'Archive/2023/Q1',
    ])
    const q1 = folders.find((f) => f.path === 'Archive/2023/Q1')
    const year = folders.find((f) => f.path === 'Archive/2023')
    expect(q1?.parentId).toBe(year?.id)
  })

  it('adds a message to a folder once, by Message-ID and content hash', () => {
    const { db } = tempMailDb()
    const folder = ensureFolder(db, ensureLocalAccount(db), 'Inbox')
    const insert = messageWriter(db)
    expect(insert(message(folder, 1))).not.toBeNull()
    expect(insert(message(folder, 1))).toBeNull()
    // Same Message-ID, other content (a resent copy): kept.
    expect(insert(message(folder, 1, { contentHash: 'other' }))).not.toBeNull()
  })

  it('threads replies with their parent, whichever arrives first', () => {
    const { db } = tempMailDb()
    const folder = ensureFolder(db, ensureLocalAccount(db), 'Inbox')
    const insert = messageWriter(db)
    const reply = insert(
      message(folder, 2, { messageId: 'reply@x', inReplyTo: 'root@x', references: ['root@x'] }),
    )
    const root = insert(message(folder, 1, { messageId: 'root@x' }))
    const second = insert(
      message(folder, 3, {
        messageId: 'r2@x',
        inReplyTo: 'reply@x',
        references: ['root@x', 'reply@x'],
      }),
    )
    const threads = db
      .prepare<[], { id: number; thread_id: number }>('SELECT id, thread_id FROM messages')
      .all()
      .reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.id]: r.thread_id }), {})
    // One conversation, named by its oldest stored message (threads/thread-links.ts).
    expect(threads[root as number]).toBe(reply)
    expect(threads[reply as number]).toBe(reply)
    expect(threads[second as number]).toBe(reply)
  })

  it('finds messages by subject, participant and body words, the last word as a prefix', () => {
    const { db } = tempMailDb()
    const account = ensureLocalAccount(db)
    const inbox = ensureFolder(db, account, 'Inbox')
    const work = ensureFolder(db, account, 'Work')
    const insert = messageWriter(db)
    insert(message(inbox, 1, { subject: 'Quarterly budget', text: 'the numbers' }))
    insert(
      message(work, 2, {
        subject: 'Lunch',
        text: 'Café Müller at noon',
        from: { name: 'Zoë', address: 'zoe@cafe.example' },
      }),
    )
    insert(message(work, 3, { subject: 'Budget follow-up', text: 'more numbers' }))
    expect(searchMessages(db, 'budg', 10).map((h) => h.subject)).toEqual([
      'Budget follow-up',
      'Quarterly budget',
    ])
    expect(searchMessages(db, 'numbers quarterly', 10).map((h) => h.subject)).toEqual([
      'Quarterly budget',
    ])
    expect(searchMessages(db, 'cafe muller', 10).map((h) => h.folderName)).toEqual(['Work'])
    expect(searchMessages(db, 'zoe', 10)).toHaveLength(1)
    expect(searchMessages(db, 'NOT', 10)).toEqual([])
    expect(searchMessages(db, '', 10)).toEqual([])
  })
})

import { describe, expect, it } from 'vitest'
import { countMatches, searchMessages } from '../../main/mail/search/search-messages'
import { ensureLocalAccount } from '../../main/mail/store/accounts'
import { ensureFolder } from '../../main/mail/store/folders'
import { messageWriter, type NewMessage } from '../../main/mail/store/messages'
import { storeBodies, storeBody } from '../../main/mail/store/remote-messages'
import { tempMailDb } from '../support/mail-db'

let n = 0
function message(folderId: number, overrides: Partial<NewMessage> = {}): NewMessage {
  n += 1
  return {
    folderId,
    messageId: `s${n}@example.com`,
    contentHash: `hash-${n}`,
    inReplyTo: '',
    references: [],
    subject: `Message ${n}`,
    from: { name: 'Nobody', address: 'nobody@example.com' },
    to: [{ name: 'Me', address: 'me@example.com' }],
    cc: [],
    date: Date.UTC(2024, 0, 1),
    seen: true,
    flagged: false,
    snippet: '',
    text: 'nothing to see',
    html: null,
    size: 100,
    attachments: [],
    ...overrides,
  }
}

const attachment = (filename: string) => ({
  filename,
  mimeType: 'application/pdf',
  size: 10,
  sha256: 'a'.repeat(64),
  contentId: null,
  disposition: 'attachment' as const,
})

function mailbox() {
  const { db } = tempMailDb()
  const account = ensureLocalAccount(db)
  const inbox = ensureFolder(db, account, 'Inbox')
  const work = ensureFolder(db, account, 'Work/Q3')
  const trash = ensureFolder(db, account, 'Trash')
  const insert = messageWriter(db)
  const add = (folder: number, o: Partial<NewMessage>) => insert(message(folder, o)) as number
  const subjects = (query: string) =>
    searchMessages(db, query, { limit: 50 }).hits.map((h) => h.subject)
  return { db, inbox, work, trash, add, subjects }
}

describe('mail search', () => {
  it('filters by each operator', () => {
    const { inbox, work, trash, add, subjects } = mailbox()
    add(inbox, {
      subject: 'Budget for Q3',
      from: { name: 'Alice Martin', address: 'alice@corp.example' },
      to: [{ name: 'Bob', address: 'bob@corp.example' }],
      cc: [{ name: 'Carol', address: 'carol@corp.example' }],
      date: new Date(2024, 2, 10).getTime(),
      seen: false,
      attachments: [attachment('budget-2024.xlsx')],
    })
    add(work, {
      subject: 'Travel plans',
      from: { name: 'Bob', address: 'bob@corp.example' },
      to: [{ name: 'Alice', address: 'alice@corp.example' }],
      date: new Date(2024, 0, 5).getTime(),
      flagged: true,
      text: 'the budget is fine',
    })
    add(trash, {
      subject: 'Old newsletter',
      from: { name: 'News', address: 'news@list.example' },
      date: new Date(2023, 11, 31).getTime(),
    })
    add(inbox, { subject: 'No date at all', date: 0 })

    expect(subjects('from:alice')).toEqual(['Budget for Q3'])
    expect(subjects('from:corp.example')).toEqual(['Travel plans', 'Budget for Q3'])
    expect(subjects('to:carol')).toEqual(['Budget for Q3'])
    expect(subjects('to:alice')).toEqual(['Travel plans'])
    expect(subjects('subject:budget')).toEqual(['Budget for Q3'])
    expect(subjects('budget')).toEqual(['Travel plans', 'Budget for Q3'])
    expect(subjects('has:attachment')).toEqual(['Budget for Q3'])
    expect(subjects('filename:budget-2024')).toEqual(['Budget for Q3'])
    expect(subjects('filename:xlsx')).toEqual(['Budget for Q3'])
    expect(subjects('filename:pdf')).toEqual([])
    expect(subjects('in:"Work/Q3"')).toEqual(['Travel plans'])
    expect(subjects('in:q3')).toEqual(['Travel plans'])
    expect(subjects('in:trash')).toEqual(['Old newsletter'])
    expect(subjects('in:inbox budget')).toEqual(['Budget for Q3'])
    expect(subjects('is:unread')).toEqual(['Budget for Q3'])
    expect(subjects('is:starred')).toEqual(['Travel plans'])
    expect(subjects('is:read is:unstarred in:trash')).toEqual(['Old newsletter'])
    expect(subjects('before:2024-01-01')).toEqual(['Old newsletter'])
    expect(subjects('after:2024-01-05 before:2024-03')).toEqual(['Travel plans'])
    expect(subjects('after:2024')).toEqual(['Travel plans', 'Budget for Q3'])
    expect(subjects('from:bob is:starred after:2024-01-01 budget')).toEqual(['Travel plans'])
  })

  it('says when in: names no folder, and finds nothing', () => {
    const { db, inbox, add } = mailbox()
    add(inbox, { subject: 'Hello' })
    const page = searchMessages(db, 'in:nowhere hello', { limit: 10 })
    expect(page.hits).toEqual([])
    expect(page.problems).toEqual(['No folder is called "nowhere".'])
  })

  it('finds attachment names as words, also beside words of the body', () => {
    const { inbox, add, subjects } = mailbox()
    add(inbox, {
      subject: 'Papers',
      text: 'see attached',
      attachments: [attachment('Invoice_March.pdf')],
    })
    add(inbox, { subject: 'Chat', text: 'no invoice here, just march' })
    expect(subjects('invoice_march')).toEqual(['Papers'])
    expect(subjects('invoice')).toEqual(['Chat', 'Papers'])
    // One word in the attachment's name, the other in the body.
    expect(subjects('invoice attached')).toEqual(['Papers'])
  })

  it('finds CJK words inside a run of characters, alone or beside Latin words', () => {
    const { inbox, add, subjects } = mailbox()
    add(inbox, { subject: '会议通知', text: '明天的会议记录在附件里。Budget attached.' })
    add(inbox, { subject: '東京の天気', text: '今日は晴れです' })
    add(inbox, { subject: '회의록', text: '회의록을 확인해 주세요' })
    expect(subjects('会议')).toEqual(['会议通知'])
    expect(subjects('会议记录')).toEqual(['会议通知'])
    expect(subjects('记录会议')).toEqual([])
    expect(subjects('会')).toEqual(['会议通知'])
    expect(subjects('天気')).toEqual(['東京の天気'])
    expect(subjects('東京')).toEqual(['東京の天気'])
    expect(subjects('확인')).toEqual(['회의록'])
    expect(subjects('会议 budget')).toEqual(['会议通知'])
    expect(subjects('会议 travel')).toEqual([])
  })

  it('matches without accents, and decoded HTML entities', () => {
    const { inbox, add, subjects } = mailbox()
    add(inbox, { subject: 'Crème brûlée', from: { name: 'Zoë Quill', address: 'zoe@example.org' } })
    add(inbox, { subject: 'Menu', html: '<p>x</p>', text: 'Café au lait' })
    expect(subjects('creme brulee')).toEqual(['Crème brûlée'])
    expect(subjects('from:zoe')).toEqual(['Crème brûlée'])
    expect(subjects('from:Zoë')).toEqual(['Crème brûlée'])
    expect(subjects('cafe')).toEqual(['Menu'])
  })

  it('indexes a body fetched after its headers (sync), attachment names included', () => {
    const { db, inbox, add, subjects } = mailbox()
    const id = add(inbox, { subject: 'Synced', text: '' })
    expect(subjects('synced quarterly')).toEqual([])
    db.prepare(
      `INSERT INTO message_sources (sha256, size, compression, content) VALUES (?, 1, 'zstd', x'00')`,
    ).run('b'.repeat(64))
    db.prepare(
      `INSERT INTO remote_messages (message_id, account_id, folder_id, uidvalidity, uid, state)
       VALUES (?, 1, ?, 1, 1, 'headers')`,
    ).run(id, inbox)
    storeBody(db, id, {
      sourceSha256: 'b'.repeat(64),
      snippet: '',
      text: 'quarterly 四半期報告',
      html: null,
      attachments: [attachment('forecast.ods')],
    })
    expect(subjects('synced quarterly')).toEqual(['Synced'])
    expect(subjects('四半期')).toEqual(['Synced'])
    expect(subjects('forecast')).toEqual(['Synced'])
  })

  it('stores a group of bodies together, each under its own message (203: statements of 128, 64, 8, 2, 1)', () => {
    const { db, inbox, add, subjects } = mailbox()
    const ids = Array.from({ length: 203 }, (_, i) =>
      add(inbox, { subject: `Group ${i}`, text: '' }),
    )
    const sha = (i: number) => i.toString(16).padStart(64, '0')
    db.transaction(() => {
      ids.forEach((id, i) => {
        db.prepare(
          `INSERT INTO message_sources (sha256, size, compression, content) VALUES (?, 1, 'zstd', x'00')`,
        ).run(sha(i))
        db.prepare(
          `INSERT INTO remote_messages (message_id, account_id, folder_id, uidvalidity, uid, state)
           VALUES (?, 1, ?, 1, ?, 'headers')`,
        ).run(id, inbox, i + 1)
      })
      storeBodies(
        db,
        ids.map((messageId, i) => ({
          messageId,
          body: {
            sourceSha256: sha(i),
            snippet: `snippet ${i}`,
            text: `word${i}x only here`,
            html: i % 2 ? `<p>word${i}x</p>` : null,
            attachments: i % 3 ? [] : [attachment(`sheet${i}y.ods`)],
            parseNote: i % 5 ? null : `note ${i}`,
          },
        })),
      )
    })()
    const rows = db
      .prepare<
        [],
        {
          id: number
          snippet: string
          body_text: string
          body_html: string | null
          has_attachments: number
          parse_note: string | null
          state: string
          source_sha256: string
        }
      >(
        `SELECT m.id, m.snippet, m.body_text, m.body_html, m.has_attachments, m.parse_note, r.state, r.source_sha256
           FROM messages m JOIN remote_messages r ON r.message_id = m.id ORDER BY m.id`,
      )
      .all()
    expect(rows).toEqual(
      ids.map((id, i) => ({
        id,
        snippet: `snippet ${i}`,
        body_text: `word${i}x only here`,
        body_html: i % 2 ? `<p>word${i}x</p>` : null,
        has_attachments: i % 3 ? 0 : 1,
        parse_note: i % 5 ? null : `note ${i}`,
        state: 'full',
        source_sha256: sha(i),
      })),
    )
    for (const i of [0, 1, 127, 128, 191, 192, 199, 200, 201, 202]) {
      expect(subjects(`word${i}x`)).toEqual([`Group ${i}`])
      if (i % 3 === 0) expect(subjects(`sheet${i}y`)).toEqual([`Group ${i}`])
    }
    expect(subjects('only here')).toHaveLength(50) // the page limit: every one matches
    // The full-text index agrees with the rows it indexes.
    expect(() =>
      db
        .prepare(`INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)`)
        .run(),
    ).not.toThrow()
  })

  it('pages with a cursor and counts every match instead of stopping at a cap', () => {
    const { db, inbox, add } = mailbox()
    for (let i = 0; i < 1234; i++)
      add(inbox, {
        subject: `Report ${i}`,
        seen: i % 2 === 0,
        attachments: i % 10 === 0 ? [attachment(`report-${i}.pdf`)] : [],
      })
    expect(countMatches(db, 'report')).toBe(1234)
    expect(countMatches(db, 'report is:unread')).toBe(617)
    expect(countMatches(db, 'has:attachment')).toBe(124)
    expect(countMatches(db, 'is:unread')).toBe(617)
    const seen = new Set<number>()
    let before: number | undefined
    for (;;) {
      const page = searchMessages(db, 'report', { limit: 500, before })
      for (const hit of page.hits) seen.add(hit.id)
      if (page.next === null) break
      before = page.next
    }
    expect(seen.size).toBe(1234)
  })
})

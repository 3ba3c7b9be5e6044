import { describe, expect, it } from 'vitest'
import { FolderActions } from '../../main/mail/actions/folder-actions'
import { MailActions } from '../../main/mail/actions/message-actions'
import { messageSource } from '../../main/mail/read/read-ops'
import { ensureLocalAccount } from '../../main/mail/store/accounts'
import { ensureFolder, listFolders } from '../../main/mail/store/folders'
import {
  listSorted,
  listThreads,
  suggestContacts,
  threadMessages,
} from '../../main/mail/store/listing'
import { messageWriter, type NewMessage } from '../../main/mail/store/messages'
import { putSource } from '../../main/mail/store/message-sources'
import { isCairnError } from '../../main/shared/errors'
import { tempMailDb } from '../support/mail-db'

function message(folderId: number, n: number, overrides: Partial<NewMessage> = {}): NewMessage {
  return {
    folderId,
    messageId: `m${n}@example.com`,
    contentHash: `hash-${n}`,
    inReplyTo: '',
    references: [],
    subject: `Message ${n}`,
    from: { name: `Sender ${n}`, address: `sender${n}@example.com` },
    to: [{ name: 'Me', address: 'me@example.com' }],
    cc: [],
    date: Date.UTC(2026, 0, 1) + n * 60_000,
    seen: n % 2 === 0,
    flagged: false,
    snippet: '',
    text: `body of message ${n}`,
    html: null,
    size: 100 + n,
    attachments: [],
    ...overrides,
  }
}

function world(count = 6) {
  const { db } = tempMailDb()
  const account = ensureLocalAccount(db)
  const inbox = ensureFolder(db, account, 'Inbox')
  const insert = messageWriter(db)
  const ids: number[] = []
  db.transaction(() => {
    for (let n = 0; n < count; n++) ids.push(insert(message(inbox, n))!)
  })()
  const folders = new FolderActions(db, null)
  const actions = new MailActions(db, null, folders)
  const where = (id: number) =>
    db
      .prepare<[number], { path: string; seen: number; flagged: number }>(
        'SELECT f.path, m.seen, m.flagged FROM messages m JOIN folders f ON f.id = m.folder_id WHERE m.id = ?',
      )
      .get(id)
  return { db, account, inbox, ids, folders, actions, where }
}

async function codeOf(work: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof work === 'function' ? work() : work)
  } catch (error) {
    return isCairnError(error) ? error.code : `untyped: ${String(error)}`
  }
  return 'no error'
}

describe('message actions on Local Folders', () => {
  it('deletes to Trash (made when missing) and undo puts each message back where it was', async () => {
    const w = world()
    const other = ensureFolder(w.db, w.account, 'Projects')
    await w.actions.move([w.ids[2]!], other)
    const result = await w.actions.delete([w.ids[0]!, w.ids[1]!, w.ids[2]!])
    expect(result).toEqual({ summary: 'Moved 3 messages to Trash', count: 3, undoable: true })
    expect([0, 1, 2].map((i) => w.where(w.ids[i]!)?.path)).toEqual(['Trash', 'Trash', 'Trash'])
    expect(listFolders(w.db).find((f) => f.path === 'Trash')?.specialUse).toBe('\\Trash')
    expect(w.actions.canUndo).toBe('Moved 3 messages to Trash')
    expect((await w.actions.undo()).summary).toBe('Undone: Moved 3 messages to Trash')
    expect([0, 1, 2].map((i) => w.where(w.ids[i]!)?.path)).toEqual(['Inbox', 'Inbox', 'Projects'])
    // One level of undo: a second one has nothing to take back.
    expect(await codeOf(w.actions.undo())).toBe('NOTHING_TO_UNDO')
  })

  it('deletes for good from Trash, which cannot be undone', async () => {
    const w = world()
    await w.actions.delete([w.ids[0]!])
    const result = await w.actions.delete([w.ids[0]!])
    expect(result).toMatchObject({ count: 1, undoable: false })
    expect(w.where(w.ids[0]!)).toBeUndefined()
    expect(w.actions.canUndo).toBeNull()
  })

  it('archives and marks junk into folders of those roles, skipping what is already there', async () => {
    const w = world()
    expect((await w.actions.archive([w.ids[0]!, w.ids[1]!])).summary).toBe('Archived 2 messages')
    expect(w.where(w.ids[0]!)?.path).toBe('Archive')
    const again = await w.actions.archive([w.ids[0]!])
    expect(again).toMatchObject({ count: 0, undoable: false })
    expect((await w.actions.junk([w.ids[2]!])).summary).toBe('Marked 1 message as junk')
    expect(w.where(w.ids[2]!)?.path).toBe('Junk')
    await w.actions.notJunk([w.ids[2]!])
    expect(w.where(w.ids[2]!)?.path).toBe('Inbox')
    await w.actions.undo()
    expect(w.where(w.ids[2]!)?.path).toBe('Junk')
  })

  it('marks a bulk selection read and starred, and undo restores each message its own flags', async () => {
    const w = world()
    const picked = [w.ids[0]!, w.ids[1]!, w.ids[2]!, w.ids[3]!]
    // Even ones start read, odd ones unread.
    expect(picked.map((id) => w.where(id)?.seen)).toEqual([1, 0, 1, 0])
    expect((await w.actions.setFlags(picked, { seen: false })).summary).toBe(
      'Marked 4 messages as unread',
    )
    expect(picked.map((id) => w.where(id)?.seen)).toEqual([0, 0, 0, 0])
    await w.actions.undo()
    expect(picked.map((id) => w.where(id)?.seen)).toEqual([1, 0, 1, 0])
    await w.actions.setFlags([w.ids[4]!], { flagged: true })
    expect(w.where(w.ids[4]!)?.flagged).toBe(1)
    expect(w.where(w.ids[4]!)?.seen).toBe(1)
    await w.actions.undo()
    expect(w.where(w.ids[4]!)?.flagged).toBe(0)
  })

  it('announces each change so the lists refresh', async () => {
    const w = world()
    const seen: string[] = []
    w.actions.events.on('changed', ({ reason }) => seen.push(reason))
    await w.actions.setFlags([w.ids[0]!], { flagged: true })
    await w.actions.delete([w.ids[1]!])
    await w.actions.undo()
    expect(seen).toEqual(['actions', 'actions', 'actions'])
  })
})

describe('folder actions on Local Folders', () => {
  it('creates nested folders, renames and moves them with their subfolders', async () => {
    const w = world()
    const work = await w.folders.create(w.account, null, 'Work')
    const clients = await w.folders.create(w.account, work, 'Clients')
    expect(listFolders(w.db).find((f) => f.id === clients)?.path).toBe('Work/Clients')
    await w.folders.rename(work, 'Job')
    expect(listFolders(w.db).find((f) => f.id === clients)?.path).toBe('Job/Clients')
    const archive = await w.folders.create(w.account, null, 'Old')
    await w.folders.moveInto(work, archive)
    const paths = listFolders(w.db).map((f) => f.path)
    expect(paths).toEqual(expect.arrayContaining(['Old/Job', 'Old/Job/Clients']))
    expect(paths).not.toContain('Job')
    await w.folders.moveInto(work, null)
    expect(listFolders(w.db).find((f) => f.id === clients)?.path).toBe('Job/Clients')
  })

  it('refuses duplicates, hostile names, moving into itself and changing special folders', async () => {
    const w = world()
    const work = await w.folders.create(w.account, null, 'Work')
    const inside = await w.folders.create(w.account, work, 'Inside')
    expect(await codeOf(w.folders.create(w.account, null, 'work'))).toBe('FOLDER_EXISTS')
    for (const bad of ['', '  ', 'a/b', 'a\\b', '..', 'tab\there', 'x'.repeat(201)])
      expect(await codeOf(w.folders.create(w.account, null, bad))).toBe('FOLDER_INVALID')
    expect(await codeOf(w.folders.moveInto(work, inside))).toBe('FOLDER_INVALID')
    expect(await codeOf(w.folders.moveInto(work, work))).toBe('FOLDER_INVALID')
    expect(await codeOf(w.folders.rename(w.inbox, 'Elsewhere'))).toBe('ACTION_NOT_ALLOWED')
    expect(await codeOf(w.folders.delete(w.inbox))).toBe('ACTION_NOT_ALLOWED')
    expect(await codeOf(w.folders.rename(999_999, 'x'))).toBe('NOT_FOUND')
  })

  it('deletes a folder tree, its messages going to Trash rather than being lost', async () => {
    const w = world()
    const work = await w.folders.create(w.account, null, 'Work')
    const inside = await w.folders.create(w.account, work, 'Inside')
    await w.actions.move([w.ids[0]!], work)
    await w.actions.move([w.ids[1]!], inside)
    await w.folders.delete(work)
    const paths = listFolders(w.db).map((f) => f.path)
    expect(paths).not.toContain('Work')
    expect(paths).not.toContain('Work/Inside')
    expect(w.where(w.ids[0]!)?.path).toBe('Trash')
    expect(w.where(w.ids[1]!)?.path).toBe('Trash')
  })
})

describe('message list reading', () => {
  it('sorts a folder by sender, subject and size both ways', () => {
    const { db } = tempMailDb()
    const folder = ensureFolder(db, ensureLocalAccount(db), 'Inbox')
    const insert = messageWriter(db)
    insert(message(folder, 1, { from: { name: 'bob', address: 'b@x' }, subject: 'zeta', size: 5 }))
    insert(
      message(folder, 2, { from: { name: '', address: 'alice@x' }, subject: 'Alpha', size: 50 }),
    )
    insert(
      message(folder, 3, { from: { name: 'Carol', address: 'c@x' }, subject: 'beta', size: 20 }),
    )
    const page = (by: 'sender' | 'subject' | 'size', descending = false) =>
      listSorted(db, folder, { by, descending, offset: 0, limit: 10 }).messages.map(
        (m) => m.subject,
      )
    expect(page('sender')).toEqual(['Alpha', 'zeta', 'beta'])
    expect(page('subject')).toEqual(['Alpha', 'beta', 'zeta'])
    expect(page('size')).toEqual(['zeta', 'beta', 'Alpha'])
    expect(page('size', true)).toEqual(['Alpha', 'beta', 'zeta'])
  })

  it('lists conversations with counts, across folders in reading order', () => {
    const { db } = tempMailDb()
    const account = ensureLocalAccount(db)
    const inbox = ensureFolder(db, account, 'Inbox')
    const sent = ensureFolder(db, account, 'Sent')
    const insert = messageWriter(db)
    insert(message(inbox, 1, { messageId: 'root@x', seen: true }))
    insert(message(sent, 2, { messageId: 'reply@x', inReplyTo: 'root@x', references: ['root@x'] }))
    insert(
      message(inbox, 3, {
        messageId: 'reply2@x',
        inReplyTo: 'reply@x',
        references: ['root@x', 'reply@x'],
        seen: false,
      }),
    )
    insert(message(inbox, 4, { messageId: 'alone@x', seen: true }))
    const page = listThreads(db, inbox, { limit: 10 })
    expect(page.total).toBe(2)
    expect(page.threads.map((t) => [t.subject, t.threadCount, t.threadUnread, t.seen])).toEqual([
      ['Message 4', 1, 0, true],
      ['Message 3', 2, 1, false],
    ])
    const conversation = threadMessages(db, page.threads[1]!.threadId!)
    expect(conversation.map((m) => [m.subject, m.depth, m.folderName])).toEqual([
      ['Message 1', 0, 'Inbox'],
      ['Message 2', 1, 'Sent'],
      ['Message 3', 2, 'Inbox'],
    ])
  })

  it('suggests contacts from past mail by address or name prefix', () => {
    const { db } = tempMailDb()
    const folder = ensureFolder(db, ensureLocalAccount(db), 'Inbox')
    const insert = messageWriter(db)
    insert(message(folder, 1, { from: { name: 'Zoë Quinn', address: 'zoe@example.org' } }))
    insert(message(folder, 2, { from: { name: 'Zoë Quinn', address: 'zoe@example.org' } }))
    insert(message(folder, 3, { from: { name: 'Zack', address: 'zack@example.org' } }))
    expect(suggestContacts(db, 'zo', 5).map((c) => c.address)).toEqual(['zoe@example.org'])
    expect(suggestContacts(db, 'quinn', 5).map((c) => c.address)).toEqual(['zoe@example.org'])
    expect(suggestContacts(db, 'z', 5).map((c) => c.address)).toEqual([
      'zoe@example.org',
      'zack@example.org',
    ])
    expect(suggestContacts(db, '%', 5)).toEqual([])
  })

  it('shows the raw source, 8-bit bytes as Latin-1, cut at the limit asked', () => {
    const { db } = tempMailDb()
    const folder = ensureFolder(db, ensureLocalAccount(db), 'Inbox')
    const raw = Buffer.concat([
      Buffer.from('From: a@x\r\nSubject: caf'),
      Buffer.from([0xe9]),
      Buffer.from('\r\n\r\nbody\r\n'),
    ])
    const sha = putSource(db, raw)
    const id = messageWriter(db)(message(folder, 1, { sourceSha256: sha }))!
    expect(messageSource(db, id, 1_000_000)).toEqual({
      text: 'From: a@x\r\nSubject: café\r\n\r\nbody\r\n',
      size: raw.length,
      truncated: false,
    })
    expect(messageSource(db, id, 9)).toMatchObject({ text: 'From: a@x', truncated: true })
    const without = messageWriter(db)(message(folder, 2))!
    expect(() => messageSource(db, without, 100)).toThrow(/not kept the original/)
  })
})

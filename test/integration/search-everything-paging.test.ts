import { afterEach, describe, expect, it } from 'vitest'
import { insertChatAccount } from '../../main/chat/store/accounts'
import { ensureChat } from '../../main/chat/store/chats'
import { storeChatMessage } from '../../main/chat/store/messages'
import { createServiceContext, type OwnedServiceContext } from '../../main/ipc/context'
import { createRouter } from '../../main/ipc/router'
import type { SearchAllAnswer } from '../../main/ipc/services/search'
import { openMailDb, type MailDb } from '../../main/mail/db/connection'
import {
  countEverything,
  searchEverything,
  type EverythingCursor,
  type EverythingHit,
} from '../../main/mail/read/search-everything'
import { ensureLocalAccount } from '../../main/mail/store/accounts'
import { ensureFolder } from '../../main/mail/store/folders'
import { messageWriter } from '../../main/mail/store/messages'
import { openServices, type CairnServices } from '../../main/services'
import { tempDir } from '../support/temp'

const MAIL = 260
const CHATS = 90
const BASE = Date.UTC(2025, 0, 1)

let services: CairnServices | undefined
let ctx: OwnedServiceContext | undefined
let db: MailDb | undefined

afterEach(async () => {
  db?.close()
  ctx?.close()
  await services?.close()
  services = ctx = db = undefined
})

const keyOf = (hit: EverythingHit) =>
  hit.kind === 'mail' ? `mail:${hit.mail.id}` : `chat:${hit.chat.messageId}`

/**
 * A real profile (services open on it, as the app has them) holding 260
 * mail messages and 90 chat messages, three in four of the mail and two in
 * three of the chats saying "harbour". Dates run against ids (as after a
 * sync of old mail), so pages cannot rely on the two agreeing.
 */
function openProfile() {
  services = openServices(tempDir())
  ctx = createServiceContext(services, {})
  const router = createRouter(ctx, { transport: 'test', log: () => undefined })
  db = openMailDb(services.profile.paths.database)
  const mailDb = db
  const inbox = ensureFolder(mailDb, ensureLocalAccount(mailDb), 'Inbox')
  const insert = messageWriter(mailDb)
  const harbourMail = new Set<number>()
  const unreadHarbourMail = new Set<number>()
  mailDb.transaction(() => {
    for (let i = 0; i < MAIL; i++) {
      const says = i % 4 !== 3
      const id = insert({
        folderId: inbox,
        messageId: `m${i}@example.org`,
        contentHash: `m${i}`,
        inReplyTo: '',
        references: [],
        subject: `Note ${i}`,
        from: { name: `Person ${i % 9}`, address: `person${i % 9}@example.org` },
        to: [{ name: 'Me', address: 'me@example.org' }],
        cc: [],
        date: BASE + ((i * 7919) % MAIL) * 3_600_000,
        seen: i % 5 !== 0,
        flagged: false,
        snippet: '',
        text: says ? `the harbour report number ${i}` : `the river report number ${i}`,
        html: null,
        size: 100,
        attachments: [],
      })
      if (id === null) throw new Error('not stored')
      if (says) harbourMail.add(id)
      if (says && i % 5 === 0) unreadHarbourMail.add(id)
    }
  })()
  const account = insertChatAccount(mailDb, 'me@chat.example.org', 'Me', { resource: 'cairn-test' })
  const chat = ensureChat(mailDb, account, 'bob@chat.example.org', 'direct')
  const harbourChats = new Set<number>()
  for (let i = 0; i < CHATS; i++) {
    const says = i % 3 !== 2
    const { id } = storeChatMessage(mailDb, {
      chatId: chat,
      direction: i % 2 ? 'in' : 'out',
      sender: i % 2 ? 'bob@chat.example.org' : 'me@chat.example.org',
      originId: `o${i}`,
      archiveId: null,
      body: says ? `meet at the harbour, ${i}` : `meet at the station, ${i}`,
      sentAt: BASE + ((i * 37) % CHATS) * 10_000_000,
      receivedAt: BASE,
      state: 'delivered',
      seen: true,
      place: 'end',
    })
    if (says) harbourChats.add(id)
  }
  const call = async (input: unknown): Promise<SearchAllAnswer> => {
    const envelope = await router.call('search.all', input)
    if (!envelope.ok) throw Object.assign(new Error(envelope.error.message), envelope.error)
    return envelope.value as SearchAllAnswer
  }
  return {
    db: mailDb,
    router,
    call,
    expected: new Set([
      ...[...harbourMail].map((id) => `mail:${id}`),
      ...[...harbourChats].map((id) => `chat:${id}`),
    ]),
    unreadHarbourMail,
  }
}

/** Every page of `query`, `limit` at a time, through the contract (as the search box asks). */
async function allPages(
  call: ReturnType<typeof openProfile>['call'],
  query: string,
  limit: number,
) {
  const pages: SearchAllAnswer[] = []
  let cursor: EverythingCursor | undefined
  for (let guard = 0; guard < 1000; guard++) {
    const page = await call(cursor ? { query, limit, cursor } : { query, limit })
    pages.push(page)
    if (page.next === null) return pages
    cursor = page.next
  }
  throw new Error('paging never ended')
}

describe('search box paging (search.all)', () => {
  it('gives every mail and chat hit exactly once across pages, in one stable order, with the count on the first page', async () => {
    const { call, expected } = openProfile()
    expect(expected.size).toBe(195 + 60)
    const orders: string[][] = []
    for (const limit of [7, 100, 500]) {
      const pages = await allPages(call, 'harbour', limit)
      const keys = pages.flatMap((p) => p.hits.map(keyOf))
      // No duplicates, no gaps: exactly the messages that say "harbour".
      expect(new Set(keys).size, `limit ${limit}`).toBe(keys.length)
      expect(new Set(keys)).toEqual(expected)
      // Full pages until the last; no empty page at the end.
      for (const page of pages.slice(0, -1)) expect(page.hits).toHaveLength(limit)
      expect(pages.at(-1)?.hits.length).toBeGreaterThan(0)
      expect(pages.length).toBe(Math.ceil(expected.size / limit))
      // The count comes with the first page only, and it is the number of hits.
      expect(pages[0]?.count).toEqual({ value: expected.size, exact: true })
      for (const page of pages.slice(1)) expect(page.count).toBeNull()
      // Each kind newest stored first.
      for (const kind of ['mail', 'chat']) {
        const ids = keys.filter((k) => k.startsWith(kind)).map((k) => Number(k.split(':')[1]))
        expect(ids).toEqual([...ids].sort((a, b) => b - a))
      }
      orders.push(keys)
    }
    // Page size does not change the order: pages put end to end are one long page.
    expect(orders[0]).toEqual(orders[2])
    expect(orders[1]).toEqual(orders[2])
    // The kinds really are interleaved (by date at each step), not one after the other.
    const kinds = (orders[2] as string[]).map((k) => k.split(':')[0])
    expect(kinds.slice(0, 40)).toContain('chat')
    expect(kinds.slice(0, 40)).toContain('mail')
  })

  it('pages and counts queries with operators the same way', async () => {
    const { call, unreadHarbourMail } = openProfile()
    const pages = await allPages(call, 'harbour is:unread', 10)
    const keys = pages.flatMap((p) => p.hits.map(keyOf))
    const mail = keys.filter((k) => k.startsWith('mail:')).map((k) => Number(k.slice(5)))
    expect(new Set(mail)).toEqual(unreadHarbourMail)
    expect(new Set(keys).size).toBe(keys.length)
    expect(pages[0]?.count).toEqual({ value: keys.length, exact: true })
    // A query that finds nothing: one empty page, no cursor, a count of 0.
    expect(await call({ query: 'lighthouse', limit: 100 })).toEqual({
      hits: [],
      next: null,
      count: { value: 0, exact: true },
      problems: [],
    })
  })

  it('stops counting at the cap and says the count is not exact', () => {
    const { db, expected } = openProfile()
    expect(countEverything(db, 'harbour', 100)).toEqual({ value: 100, exact: false })
    expect(countEverything(db, 'harbour', expected.size)).toEqual({
      value: expected.size,
      exact: true,
    })
    expect(countEverything(db, 'harbour', expected.size - 1)).toEqual({
      value: expected.size - 1,
      exact: false,
    })
    expect(countEverything(db, 'harb')).toEqual({ value: expected.size, exact: true })
  })

  it('a cursor from the renderer only narrows the same query: forged ones find nothing else, malformed ones are refused', async () => {
    const { call, router, expected, db } = openProfile()
    const first = await call({ query: 'harbour', limit: 50 })
    // The largest bounds are the first page again; 0 and 0 is the end.
    const top = await call({
      query: 'harbour',
      limit: 50,
      cursor: { mail: Number.MAX_SAFE_INTEGER, chat: Number.MAX_SAFE_INTEGER },
    })
    expect(top.hits.map(keyOf)).toEqual(first.hits.map(keyOf))
    expect(await call({ query: 'harbour', limit: 50, cursor: { mail: 0, chat: 0 } })).toMatchObject(
      { hits: [], next: null, count: null },
    )
    // Any bounds give hits of the query only (never "river" or "station" messages).
    const river = new Set(
      (
        db.prepare("SELECT id FROM messages WHERE body_text LIKE '%river%'").all() as {
          id: number
        }[]
      ).map((r) => `mail:${r.id}`),
    )
    expect(river.size).toBe(65)
    for (const cursor of [
      { mail: 1, chat: 0 },
      { mail: 0, chat: 40 },
      { mail: 120, chat: 3 },
      { mail: 9_000_000, chat: 0 },
    ]) {
      const page = await call({ query: 'harbour', limit: 500, cursor })
      for (const key of page.hits.map(keyOf)) {
        expect(expected.has(key), key).toBe(true)
        expect(river.has(key)).toBe(false)
      }
      if (cursor.mail === 0) expect(page.hits.every((h) => h.kind === 'chat')).toBe(true)
      if (cursor.chat === 0) expect(page.hits.every((h) => h.kind === 'mail')).toBe(true)
      for (const hit of page.hits)
        if (hit.kind === 'mail') expect(hit.mail.id).toBeLessThan(cursor.mail)
        else expect(hit.chat.messageId).toBeLessThan(cursor.chat)
    }
    for (const cursor of [
      { mail: -1, chat: 0 },
      { mail: 1.5, chat: 0 },
      { mail: '7', chat: 0 },
      { mail: 2 ** 53, chat: 0 },
      { mail: 7 },
      { mail: 7, chat: 7, sql: '1=1' },
      'mail:7',
      null,
    ]) {
      const answer = await router.call('search.all', { query: 'harbour', limit: 50, cursor })
      expect(answer, JSON.stringify(cursor)).toMatchObject({
        ok: false,
        error: { code: 'INVALID_ARGUMENT' },
      })
    }
    expect(await router.call('search.all', { query: 'harbour', limit: 501 })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    })
  })

  it('pages straight from the store give the same hits as through the contract', async () => {
    const { call, db } = openProfile()
    const viaContract = (await allPages(call, 'report', 33)).flatMap((p) => p.hits.map(keyOf))
    const direct: string[] = []
    let cursor: EverythingCursor | undefined
    do {
      const page = searchEverything(db, 'report', { limit: 33, cursor })
      direct.push(...page.hits.map(keyOf))
      cursor = page.next ?? undefined
    } while (cursor)
    expect(direct).toEqual(viaContract)
    expect(direct).toHaveLength(MAIL)
  })
})

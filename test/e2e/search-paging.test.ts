import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { insertChatAccount } from '../../main/chat/store/accounts'
import { ensureChat } from '../../main/chat/store/chats'
import { storeChatMessage } from '../../main/chat/store/messages'
import { openMailDb } from '../../main/mail/db/connection'
import { profileWithImport, useAppPages } from '../support/app-pages'
import { keepScreenshot } from '../support/browser'
import { buildMbox, buildMessage } from '../support/mail-fixtures'
import { tempDir } from '../support/temp'

const MAIL = 230
const CHATS = 40
const ROW = 64 // the comfortable row height (MessageList)

const app = useAppPages()

/**
 * A profile whose search for "harbour" finds 230 mail messages (imported
 * through the app's import) and 40 chat messages: three pages of 100.
 */
async function openWithHarbour(): Promise<{ page: Page; expected: Set<string> }> {
  const messages = Array.from({ length: MAIL + 20 }, (_, i) =>
    buildMessage({
      subject: `Port note ${i + 1}`,
      from: `Pilot ${i % 7} <pilot${i % 7}@example.org>`,
      date: new Date(Date.UTC(2026, 0, 1, 8, i * 30)).toUTCString(),
      text: i < MAIL ? `The harbour log, entry ${i + 1}.` : `The river log, entry ${i + 1}.`,
    }),
  )
  const mbox = join(tempDir(), 'Inbox.mbox')
  writeFileSync(mbox, buildMbox(messages))
  const services = await profileWithImport([mbox])
  // Chat messages beside the mail, stored as the chat service stores them.
  const db = openMailDb(services.profile.paths.database)
  const expected = new Set<string>()
  try {
    const account = insertChatAccount(db, 'me@chat.example.org', 'Me', { resource: 'cairn-test' })
    const chat = ensureChat(db, account, 'harbourmaster@chat.example.org', 'direct')
    for (let i = 0; i < CHATS; i++) {
      const { id } = storeChatMessage(db, {
        chatId: chat,
        direction: i % 2 ? 'in' : 'out',
        sender: i % 2 ? 'harbourmaster@chat.example.org' : 'me@chat.example.org',
        originId: `o${i}`,
        archiveId: null,
        body: `Berth ${i} at the harbour is free`,
        sentAt: Date.UTC(2026, 0, 1, 8, i * 150 + 7),
        receivedAt: Date.UTC(2026, 0, 1, 8, i * 150 + 7),
        state: 'delivered',
        seen: true,
        place: 'end',
      })
      expected.add(`message--${id}`)
    }
  } finally {
    db.close()
  }
  for (const hit of await services.mail.search('harbour', 1000)) expected.add(`message-${hit.id}`)
  expect(expected.size).toBe(MAIL + CHATS)

  const page = await app.open(services, { viewport: { width: 1400, height: 900 }, timeout: 15_000 })
  await expect.poll(() => page.locator('.message-row').count()).toBeGreaterThan(0)
  return { page, expected }
}

/** Every row of the virtualised list, by position: scrolled through from top to bottom. */
async function everyRow(page: Page): Promise<Map<number, string>> {
  const list = page.getByRole('listbox', { name: 'Message list' })
  const rows = new Map<number, string>()
  const height = await list.evaluate((element) => element.scrollHeight)
  for (let top = 0; top <= height; top += ROW * 5) {
    await list.evaluate((element, y) => element.scrollTo({ top: y }), top)
    await page.waitForTimeout(30)
    const seen = await page.locator('.message-row-slot').evaluateAll((slots) =>
      slots.map((slot) => {
        const y = Number(
          /translateY\((\d+(?:\.\d+)?)px\)/.exec(slot.getAttribute('style') ?? '')?.[1],
        )
        return { y, id: slot.querySelector('[role="option"]')?.id ?? null }
      }),
    )
    for (const { y, id } of seen) if (id) rows.set(Math.round(y / ROW), id)
  }
  return rows
}

describe('search results page by page in the browser build', () => {
  it('shows the count, appends pages with Show more (mouse and keyboard) keeping the selection and place, every result once', async () => {
    const { page, expected } = await openWithHarbour()
    await page.getByRole('searchbox', { name: 'Search mail and chats' }).fill('harbour')
    const status = page.locator('.search-count')
    await expect.poll(() => status.textContent()).toBe('270 results, showing 100')
    const list = page.getByRole('listbox', { name: 'Message list' })
    await expect.poll(() => list.evaluate((e) => e.scrollHeight)).toBe(100 * ROW)

    // Select a row, then scroll to the end of the first page.
    const chosen = page.locator('.message-row[data-id]').nth(3)
    const chosenId = await chosen.getAttribute('id')
    await chosen.click()
    await expect.poll(() => list.getAttribute('aria-activedescendant')).toBe(chosenId)
    await list.evaluate((element) => element.scrollTo({ top: element.scrollHeight }))
    const scrolledTo = await list.evaluate((element) => element.scrollTop)
    expect(scrolledTo).toBeGreaterThan(50 * ROW)

    // Show more with the mouse: 100 more rows below, nothing moved.
    await page.getByRole('button', { name: 'Show more results' }).click()
    await expect.poll(() => status.textContent()).toBe('270 results, showing 200')
    await expect.poll(() => list.evaluate((e) => e.scrollHeight)).toBe(200 * ROW)
    expect(await list.evaluate((element) => element.scrollTop)).toBe(scrolledTo)
    await expect.poll(() => list.getAttribute('aria-activedescendant')).toBe(chosenId)
    await keepScreenshot(page, 'search-paging-show-more')

    // And with the keyboard: Tab reaches the button from the list, Enter presses it.
    await list.focus()
    await page.keyboard.press('Tab')
    await expect
      .poll(() =>
        page
          .getByRole('button', { name: 'Show more results' })
          .evaluate((button) => button.ownerDocument.activeElement === button),
      )
      .toBe(true)
    await page.keyboard.press('Enter')
    await expect.poll(() => status.textContent()).toBe('270 results')
    await expect.poll(() => page.getByRole('button', { name: /more results/ }).count()).toBe(0)
    await expect.poll(() => list.getAttribute('aria-activedescendant')).toBe(chosenId)

    // Every result appears once, mail and chat alike, and nothing else.
    const rows = await everyRow(page)
    expect(rows.size).toBe(270)
    expect([...rows.keys()].sort((a, b) => a - b)).toEqual([...Array(270).keys()])
    const ids = [...rows.values()]
    expect(new Set(ids).size).toBe(270)
    expect(new Set(ids)).toEqual(expected)
    await keepScreenshot(page, 'search-paging-all')
  })
})

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { profileWithImport, useAppPages } from '../support/app-pages'
import { keepScreenshot } from '../support/browser'
import { buildMbox, buildMessage } from '../support/mail-fixtures'
import { tempDir } from '../support/temp'

const app = useAppPages()

const at = (day: number) => new Date(Date.UTC(2026, 3, day, 9)).toUTCString()

/**
 * Inbox: a conversation of two messages whose middle reply sits in Sent
 * (threaded by References across folders), and three single messages of
 * different senders, subjects and sizes.
 */
async function openMailbox(): Promise<Page> {
  const dir = tempDir()
  const inbox = join(dir, 'Inbox.mbox')
  const sent = join(dir, 'Sent.mbox')
  writeFileSync(
    inbox,
    buildMbox([
      buildMessage({
        subject: 'Plans for Friday',
        from: 'Alice Martin <alice@example.org>',
        date: at(1),
        messageId: 'plans@example.org',
        headers: { Status: 'RO' },
      }),
      buildMessage({
        subject: 'Re: Plans for Friday, from Alice',
        from: 'Alice Martin <alice@example.org>',
        date: at(5),
        messageId: 'plans-3@example.org',
        inReplyTo: 'plans-2@example.org',
        headers: { References: '<plans@example.org> <plans-2@example.org>', Status: 'O' },
      }),
      buildMessage({
        subject: 'Zebra crossing',
        from: 'Carol Zed <carol@example.org>',
        date: at(2),
        text: 'long '.repeat(4000),
        headers: { Status: 'RO' },
      }),
      buildMessage({
        subject: 'Apple harvest',
        from: 'Bruno Lee <bruno@example.org>',
        date: at(3),
        headers: { Status: 'RO' },
      }),
      buildMessage({
        subject: 'Minutes',
        from: 'Dana Aaron <dana@example.org>',
        date: at(4),
        text: 'short',
        headers: { Status: 'RO' },
      }),
    ]),
  )
  writeFileSync(
    sent,
    buildMbox([
      buildMessage({
        subject: 'Re: Plans for Friday, my answer',
        from: 'Me <me@example.org>',
        date: at(3),
        messageId: 'plans-2@example.org',
        inReplyTo: 'plans@example.org',
        headers: { Status: 'RO' },
      }),
    ]),
  )
  return importAndOpen([inbox, sent], 5)
}

/** A new profile with these mbox files imported, open in the browser once `rows` messages show. */
async function importAndOpen(files: string[], rows: number): Promise<Page> {
  const services = await profileWithImport(files)
  const page = await app.open(services, { viewport: { width: 1400, height: 900 }, timeout: 15_000 })
  await expect.poll(() => page.locator('.message-row').count()).toBe(rows)
  return page
}

const list = (page: Page) => page.getByRole('listbox', { name: 'Message list' })
const subjects = (page: Page) => list(page).locator('.row-subject').allInnerTexts()
const senders = (page: Page) => list(page).locator('.row-from').allInnerTexts()
const row = (page: Page, subject: string) =>
  list(page).getByRole('option').filter({ hasText: subject })

async function folderOf(subject: string): Promise<string | undefined> {
  const hit = (await app.services!.mail.search(`subject:"${subject}"`, 5)).find(
    (h) => h.subject === subject,
  )
  return hit?.folderName
}

describe('the message list in the browser build', () => {
  it('shows conversations across folders, collapsed and expanded, and acts on a whole collapsed one', async () => {
    const page = await openMailbox()
    const toggle = page.getByRole('button', { name: 'Conversations' })
    await expect.poll(() => toggle.getAttribute('aria-pressed')).toBe('false')
    await toggle.click()
    await expect.poll(() => toggle.getAttribute('aria-pressed')).toBe('true')

    // One row per conversation, newest first: the conversation shows its newest message, its count, unread.
    await expect
      .poll(() => subjects(page))
      .toEqual(['Re: Plans for Friday, from Alice', 'Minutes', 'Apple harvest', 'Zebra crossing'])
    const conversation = row(page, 'Re: Plans for Friday, from Alice')
    expect(await conversation.locator('.conversation-count').innerText()).toBe('2')
    expect(await conversation.getAttribute('class')).toContain('unread')
    expect(await conversation.getAttribute('aria-expanded')).toBe('false')
    expect(await row(page, 'Minutes').getAttribute('aria-expanded')).toBeNull()
    await keepScreenshot(page, 'message-list-conversations-collapsed')

    // Right arrow expands it: its messages in reading order, the reply in Sent among them.
    await conversation.click()
    // Once the reader shows it (the message view loading must not take the key), the list has it.
    await expect
      .poll(() => page.locator('.reader-subject').textContent())
      .toBe('Re: Plans for Friday, from Alice')
    await conversation.press('ArrowRight')
    await expect.poll(() => conversation.getAttribute('aria-expanded')).toBe('true')
    await expect
      .poll(() => list(page).locator('.in-conversation .row-subject').allInnerTexts())
      .toEqual(['Plans for Friday', 'Re: Plans for Friday, my answer'])
    expect(
      await row(page, 'Re: Plans for Friday, my answer').locator('.row-folder').innerText(),
    ).toBe('Sent')
    expect(await subjects(page)).toHaveLength(6)
    await keepScreenshot(page, 'message-list-conversation-expanded')

    // Left collapses it again, from one of its messages too; Enter toggles; so does the button.
    await page.keyboard.press('ArrowLeft')
    await expect.poll(() => list(page).locator('.in-conversation').count()).toBe(0)
    await page.keyboard.press('Enter')
    await expect.poll(() => list(page).locator('.in-conversation').count()).toBe(2)
    await page.keyboard.press('ArrowDown')
    await expect
      .poll(() => list(page).locator('.message-row.selected .row-subject').innerText())
      .toBe('Plans for Friday')
    await page.keyboard.press('ArrowLeft')
    await expect.poll(() => list(page).locator('.in-conversation').count()).toBe(0)
    await expect
      .poll(() => list(page).locator('.message-row.selected .row-subject').innerText())
      .toBe('Re: Plans for Friday, from Alice')
    await conversation.getByRole('button', { name: 'Expand conversation' }).click()
    await expect.poll(() => list(page).locator('.in-conversation').count()).toBe(2)
    await conversation.getByRole('button', { name: 'Collapse conversation' }).click()
    await expect.poll(() => list(page).locator('.in-conversation').count()).toBe(0)

    // An action on the collapsed conversation applies to all its messages in this folder.
    await conversation.click()
    await page
      .getByRole('toolbar', { name: 'Message actions' })
      .getByRole('button', { name: 'Archive' })
      .click()
    await expect.poll(() => folderOf('Plans for Friday')).toBe('Archive')
    await expect.poll(() => folderOf('Re: Plans for Friday, from Alice')).toBe('Archive')
    // The reply in Sent is not the Inbox's to move.
    expect(await folderOf('Re: Plans for Friday, my answer')).toBe('Sent')
    await expect.poll(() => subjects(page)).toEqual(['Minutes', 'Apple harvest', 'Zebra crossing'])
  })

  it('sorts by sender, subject and size, and switches density', async () => {
    const page = await openMailbox()
    const sortBy = page.getByRole('combobox', { name: 'Sort by' })
    await sortBy.selectOption('sender')
    await expect
      .poll(() => senders(page))
      .toEqual(['Alice Martin', 'Alice Martin', 'Bruno Lee', 'Carol Zed', 'Dana Aaron'])
    await sortBy.selectOption('subject')
    await expect
      .poll(() => subjects(page))
      .toEqual([
        'Apple harvest',
        'Minutes',
        'Plans for Friday',
        'Re: Plans for Friday, from Alice',
        'Zebra crossing',
      ])
    await sortBy.selectOption('size')
    // Largest first: the long body leads, the one-word body ends.
    await expect.poll(async () => (await subjects(page))[0]).toBe('Zebra crossing')
    const bySize = await subjects(page)
    expect(bySize.indexOf('Minutes')).toBeGreaterThan(bySize.indexOf('Apple harvest'))
    await sortBy.selectOption('date')
    await expect
      .poll(async () => (await subjects(page))[0])
      .toBe('Re: Plans for Friday, from Alice')

    const comfortable = await row(page, 'Minutes').boundingBox()
    expect(await row(page, 'Minutes').locator('.row-snippet').isVisible()).toBe(true)
    await page.getByRole('button', { name: 'Compact' }).click()
    await expect.poll(() => row(page, 'Minutes').getAttribute('class')).toContain('compact')
    const compact = await row(page, 'Minutes').boundingBox()
    expect(compact!.height).toBeLessThan(comfortable!.height / 1.5)
    expect(await row(page, 'Minutes').locator('.row-snippet').isVisible()).toBe(false)
    await keepScreenshot(page, 'message-list-compact-by-date')
    await page.getByRole('button', { name: 'Comfortable' }).click()
    await expect.poll(() => row(page, 'Minutes').getAttribute('class')).toContain('comfortable')
  })

  it('shows hostile subjects, senders, file names and folders as plain text: no direction overrides, no control characters', async () => {
    const dir = tempDir()
    const inbox = join(dir, 'Pay\u202Eroll.mbox')
    writeFileSync(
      inbox,
      buildMbox([
        buildMessage({
          subject: 'Invoice \u202Efdp.exe\u0007',
          from: '"Bank\u2066 Support" <bank@example.org>',
          date: at(1),
          headers: { Status: 'RO' },
          attachments: [
            {
              filename: 'scan\u202Efdp.exe',
              contentType: 'application/octet-stream',
              content: Buffer.from('MZ'),
            },
          ],
        }),
        buildMessage({ subject: '\u202E\u2066', from: 'Eve <eve@example.org>', date: at(2) }),
      ]),
    )
    const page = await importAndOpen([inbox], 2)
    // eslint-disable-next-line no-control-regex -- control characters are what must not show
    const hostile = /[\u202a-\u202e\u2066-\u2069\u0000-\u0008]/
    // Newest first: a subject of nothing but overrides reads as none.
    expect(await subjects(page)).toEqual(['(no subject)', 'Invoice fdp.exe\u2407'])
    expect(await senders(page)).toEqual(['Eve', 'Bank Support'])
    await row(page, 'Invoice').click()
    await expect
      .poll(() => page.locator('.reader-subject').textContent())
      .toBe('Invoice fdp.exe\u2407')
    const reader = await page.getByRole('article', { name: 'Message' }).innerText()
    expect(reader).toContain('scanfdp.exe')
    expect(reader).not.toMatch(hostile)
    expect(await page.locator('.folder-name').allInnerTexts()).toContain('Payroll')
    expect((await page.locator('.folder-tree').innerText()).match(hostile)).toBeNull()
  })
})

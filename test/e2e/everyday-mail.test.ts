import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { profileWithImport, useAppPages } from '../support/app-pages'
import { keepScreenshot } from '../support/browser'
import { buildMbox, buildMessage } from '../support/mail-fixtures'
import { tempDir } from '../support/temp'

const app = useAppPages()

/** A profile with `count` messages imported into Inbox (every third unread), the app open on it. */
async function openWithMail(count: number, extra: string[] = []): Promise<Page> {
  const messages = Array.from({ length: count }, (_, i) =>
    buildMessage({
      subject: `Item ${String(i + 1).padStart(2, '0')}`,
      from: `Sender ${i + 1} <sender${i + 1}@example.org>`,
      date: new Date(Date.UTC(2026, 2, 1, 9, i)).toUTCString(),
      text: `Body of item ${i + 1}. More at https://example.org/items/${i + 1}.`,
      headers: { Status: i % 3 === 0 ? 'O' : 'RO' },
    }),
  )
  const mbox = join(tempDir(), 'Inbox.mbox')
  writeFileSync(mbox, buildMbox([...messages, ...extra]))
  const services = await profileWithImport([mbox])
  const page = await app.open(services, { viewport: { width: 1400, height: 900 }, timeout: 15_000 })
  await expect.poll(() => page.locator('.message-row').count()).toBeGreaterThan(0)
  return page
}

const folderOf = async (subject: string) => {
  const hit = (await app.services!.mail.search(`subject:"${subject}"`, 5)).find(
    (h) => h.subject === subject,
  )
  return hit?.folderName
}
const row = (page: Page, subject: string) =>
  page.locator('.message-row').filter({ hasText: subject })
const toast = (page: Page) => page.locator('.toast')

describe('everyday mail in the browser build', () => {
  it('delete and undo, archive, move by drag-and-drop, mark unread, star, view source, attachment download', async () => {
    const pdf = randomBytes(3000)
    const page = await openWithMail(6, [
      buildMessage({
        subject: 'With a file',
        date: 'Mon, 30 Mar 2026 10:00:00 +0000',
        text: 'See the attached file.',
        attachments: [{ filename: 'report.pdf', contentType: 'application/pdf', content: pdf }],
      }),
    ])
    const local = (await app.services!.mail.listFolders())[0]!.accountId
    await app.services!.mailDesk.folders.create(local, null, 'Projects')

    // Delete with the toolbar, undo from the notice.
    await row(page, 'Item 06').click()
    await expect.poll(() => page.locator('.reader-subject').textContent()).toBe('Item 06')
    await page
      .getByRole('toolbar', { name: 'Message actions' })
      .getByRole('button', { name: 'Delete' })
      .click()
    await expect.poll(() => toast(page).textContent()).toContain('Moved 1 message to Trash')
    await expect.poll(() => folderOf('Item 06')).toBe('Trash')
    await expect.poll(() => row(page, 'Item 06').count()).toBe(0)
    await keepScreenshot(page, 'everyday-delete-undo-notice')
    await toast(page).getByRole('button', { name: 'Undo' }).click()
    await expect.poll(() => folderOf('Item 06')).toBe('Inbox')
    await expect.poll(() => row(page, 'Item 06').count()).toBe(1)

    // Archive.
    await row(page, 'Item 05').click()
    await page
      .getByRole('toolbar', { name: 'Message actions' })
      .getByRole('button', { name: 'Archive' })
      .click()
    await expect.poll(() => folderOf('Item 05')).toBe('Archive')

    // Move by dragging the row onto a folder: first let the list settle after the archive
    // (the reader moves on to a neighbour and rows shift), so the drag starts on a still row.
    await expect.poll(() => row(page, 'Item 05').count()).toBe(0)
    await row(page, 'Item 04').click()
    await expect.poll(() => page.locator('.reader-subject').textContent()).toBe('Item 04')
    await expect.poll(() => page.locator('[data-folder="Projects"]').isVisible()).toBe(true)
    await row(page, 'Item 04').dragTo(page.locator('[data-folder="Projects"]'))
    await expect.poll(() => folderOf('Item 04')).toBe('Projects')
    await expect.poll(() => toast(page).textContent()).toContain('Moved 1 message to Projects')

    // Mark unread and star: once the moved row has left the list (the rows below it move up,
    // and a click aimed at Item 03 while they move lands on Item 02).
    await expect.poll(() => row(page, 'Item 04').count()).toBe(0)
    await row(page, 'Item 03').click()
    await expect.poll(() => page.locator('.reader-subject').textContent()).toBe('Item 03')
    await page.getByRole('button', { name: 'Mark unread' }).click()
    await expect.poll(() => row(page, 'Item 03').getAttribute('class')).toContain('unread')
    await page.getByRole('button', { name: 'Star', exact: true }).click()
    await expect.poll(() => row(page, 'Item 03').locator('.flag').count()).toBe(1)

    // View source.
    await page.getByRole('button', { name: 'Source' }).click()
    await expect
      .poll(() => page.getByLabel('Raw message').textContent())
      .toContain('Subject: Item 03')
    await keepScreenshot(page, 'everyday-view-source')
    await page.getByRole('button', { name: 'Close' }).click()

    // Plain text in the frame, its link clickable.
    const frame = page.frameLocator('iframe.mail-frame')
    expect(await frame.locator('a').first().getAttribute('href')).toBe(
      'https://example.org/items/3',
    )

    // The attachment downloads with its bytes.
    await row(page, 'With a file').click()
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download report.pdf' }).click(),
    ])
    expect(download.suggestedFilename()).toBe('report.pdf')
    const saved = join(tempDir(), 'report.pdf')
    await download.saveAs(saved)
    expect(readFileSync(saved).equals(pdf)).toBe(true)
    await keepScreenshot(page, 'everyday-reader-attachment')
  })

  it('triages 20 messages from the keyboard alone, with the "?" cheat sheet', async () => {
    const page = await openWithMail(20)
    await page.locator('.message-list').focus()
    await page.keyboard.press('Home')
    await expect.poll(() => page.locator('.reader-subject').textContent()).toBe('Item 20')

    await page.keyboard.press('?')
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' })
    await expect.poll(() => help.isVisible()).toBe(true)
    expect(await help.textContent()).toContain('Archive')
    await keepScreenshot(page, 'everyday-shortcuts')
    await page.keyboard.press('Escape')
    await expect.poll(() => help.count()).toBe(0)

    // For each message, newest first: archive, delete, star or mark unread, by turns.
    const expected = new Map<string, string>()
    for (let n = 20; n >= 1; n--) {
      const subject = `Item ${String(n).padStart(2, '0')}`
      await expect
        .poll(
          () =>
            page
              .locator('.reader-subject')
              .textContent({ timeout: 2000 })
              .catch(() => null),
          {
            message: `reader on ${subject}`,
          },
        )
        .toBe(subject)
        .catch(async (error: unknown) => {
          await keepScreenshot(page, 'everyday-keyboard-triage-failed')
          throw error
        })
      const turn = n % 4
      if (turn === 0) {
        await page.keyboard.press('e')
        expected.set(subject, 'Archive')
      } else if (turn === 1) {
        await page.keyboard.press('#')
        expected.set(subject, 'Trash')
      } else if (turn === 2) {
        await page.keyboard.press('s')
        await expect.poll(() => row(page, subject).locator('.flag').count()).toBe(1)
        expected.set(subject, 'Inbox')
        await page.keyboard.press('j')
      } else {
        await page.keyboard.press('Shift+U')
        await expect.poll(() => row(page, subject).getAttribute('class')).toContain('unread')
        expected.set(subject, 'Inbox')
        await page.keyboard.press('j')
      }
      if (n > 1) await expect.poll(() => toast(page).isVisible()).toBe(true)
    }
    for (const [subject, folder] of expected)
      await expect.poll(() => folderOf(subject), { message: subject }).toBe(folder)
    // z undoes the last action (Item 01 went to Trash).
    await page.keyboard.press('z')
    await expect.poll(() => folderOf('Item 01')).toBe('Inbox')
    const flagged = (await app.services!.mail.search('is:starred', 50)).map((h) => h.subject).sort()
    expect(flagged).toEqual(['Item 02', 'Item 06', 'Item 10', 'Item 14', 'Item 18'])
    await keepScreenshot(page, 'everyday-keyboard-triage')
  })

  it('searches with each operator from the search box', async () => {
    const page = await openWithMail(12, [
      buildMessage({
        subject: 'Quarterly numbers',
        from: 'Zoë Quill <zoe@example.org>',
        date: 'Mon, 05 Jan 2026 10:00:00 +0000',
        text: '会议记录 attached, café au lait.',
        attachments: [
          {
            filename: 'budget-2026.xlsx',
            contentType: 'application/octet-stream',
            content: randomBytes(500),
          },
        ],
      }),
    ])
    const search = page.getByRole('searchbox', { name: 'Search mail' })
    const results = async (query: string) => {
      await search.fill(query)
      await page.waitForTimeout(400)
      return page.locator('.message-row').allTextContents()
    }
    const only = async (query: string, subject: string) =>
      expect
        .poll(
          async () => {
            const rows = await results(query)
            return rows.length === 1 && rows[0]!.includes(subject)
          },
          { message: query },
        )
        .toBe(true)
    await only('from:zoe', 'Quarterly numbers')
    await only('to:bob has:attachment', 'Quarterly numbers')
    await only('subject:quarterly', 'Quarterly numbers')
    await only('filename:budget-2026.xlsx', 'Quarterly numbers')
    await only('in:inbox before:2026-02-01', 'Quarterly numbers')
    await only('会议', 'Quarterly numbers')
    await only('cafe', 'Quarterly numbers')
    await only('after:2026-03-01 subject:"Item 07"', 'Item 07')
    // The four messages the export left unread (Status: O).
    await expect.poll(async () => (await results('is:unread')).length).toBe(4)
    await expect.poll(async () => (await results('is:starred')).length).toBe(0)
    await keepScreenshot(page, 'everyday-search-operators')
  })

  it('creates, renames and deletes a folder from the folder pane', async () => {
    const page = await openWithMail(3)
    await page.getByRole('button', { name: 'New folder' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByLabel('Folder name').fill('a/b')
    await dialog.getByRole('button', { name: 'Create' }).click()
    await expect.poll(() => dialog.getByRole('alert').textContent()).toContain('cannot contain "/"')
    await dialog.getByLabel('Folder name').fill('Receipts')
    await dialog.getByRole('button', { name: 'Create' }).click()
    await expect.poll(() => page.locator('[data-folder="Receipts"]').count()).toBe(1)

    await page.locator('[data-folder="Receipts"]').click()
    await page.getByRole('button', { name: 'Rename' }).click()
    await dialog.getByLabel('Folder name').fill('Bills')
    await dialog.getByRole('button', { name: 'Rename' }).click()
    await expect.poll(() => page.locator('[data-folder="Bills"]').count()).toBe(1)
    expect(await page.locator('[data-folder="Receipts"]').count()).toBe(0)
    await keepScreenshot(page, 'everyday-folder-renamed')

    await page.getByRole('button', { name: 'Delete folder' }).click()
    await dialog.getByRole('button', { name: 'Delete' }).click()
    await expect.poll(() => page.locator('[data-folder="Bills"]').count()).toBe(0)
    expect((await app.services!.mail.listFolders()).map((f) => f.path)).not.toContain('Bills')
  })
})

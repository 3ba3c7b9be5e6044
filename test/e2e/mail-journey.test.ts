import Database from 'better-sqlite3'
import { randomBytes } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterEach, describe, expect, it } from 'vitest'
import { MAIL_FRAME_SANDBOX, mailFrameCsp } from '../../main/ipc/csp'
import { openServices } from '../../main/services'
import { useAppPages } from '../support/app-pages'
import { keepScreenshot } from '../support/browser'
import { buildMbox, buildMessage } from '../support/mail-fixtures'
import { tempDir } from '../support/temp'

const app = useAppPages()
let imageServer: Server | undefined
/** Requests the stand-in for the web received, by path. */
let webRequests: string[] = []
const requestsFor = (path: string) => webRequests.filter((p) => p === path).length

afterEach(async () => {
  await new Promise<void>((resolve) =>
    imageServer ? imageServer.close(() => resolve()) : resolve(),
  )
  imageServer = undefined
})

/**
 * A stand-in for the web a mail points at: a tracking pixel, and addresses
 * that only a script or a refresh in the mail would load. Records every request.
 */
async function startWebStandIn(): Promise<string> {
  webRequests = []
  imageServer = createServer((req, res) => {
    webRequests.push(req.url ?? '')
    res.writeHead(200, { 'Content-Type': 'image/gif' })
    res.end(Buffer.from('R0lGODlhAQABAAAAACw=', 'base64'))
  })
  await new Promise<void>((resolve) => imageServer?.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(imageServer.address() as AddressInfo).port}`
}

/** A mail's ways of running script: each would change the canary, tell the app, or call the web. */
function hostileHtml(web: string): string {
  const effect = `document.getElementById('canary').textContent='script ran';parent.postMessage('script ran','*');new Image().src='${web}/script-ran'`
  return [
    '<p id="canary">untouched</p>',
    `<script>${effect}</script>`,
    `<img alt="broken" src="data:image/png;base64,AAAA" onerror="${effect}">`,
    `<svg><script>${effect}</script></svg>`,
    `<svg onload="${effect}"></svg>`,
    `<iframe srcdoc="<script>parent.parent.postMessage('script ran','*')</script>"></iframe>`,
    `<object data="${web}/object"></object>`,
    `<a id="js-link" href="javascript:${effect}">a link</a>`,
    `<meta http-equiv="refresh" content="0;url=${web}/refreshed">`,
    `<form action="${web}/form"><button id="submit">Send</button></form>`,
  ].join('')
}

async function openApp(profileDir: string): Promise<Page> {
  return app.open(openServices(profileDir), {
    // Fail an action with its own message well before the test's timeout.
    timeout: 15_000,
    // The mail frame refusing a mail's tracker, scripts and form is the
    // behaviour under test, not an error. (Chromium also reports here the
    // scripts the test driver itself tries in the script-less frame.)
    expectedErrors: [
      /pixel\.gif' violates the following Content Security Policy directive: "img-src http:\/\/127\.0\.0\.1:\d+\/mail\/[\w-]{22}\/inline\/ data:/,
      /^Blocked script execution in 'http:\/\/127\.0\.0\.1:\d+\/mail\/[\w-]{22}\/frame(\?remote=1)?' because the document's frame is sandboxed/,
      /^Blocked form submission .* sandboxed/,
    ],
  })
}

describe('mail in the browser build', () => {
  it('first run → import an mbox → folder and counts → read a message → search finds it', async () => {
    const web = await startWebStandIn()
    const pixel = `${web}/pixel.gif`
    const logo = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
      'base64',
    )
    const messages = Array.from({ length: 30 }, (_, i) =>
      buildMessage({
        subject: `Weekly report ${i + 1}`,
        date: new Date(Date.UTC(2026, 1, i + 1, 9)).toUTCString(),
        text: `Report number ${i + 1}.`,
        headers: { Status: i % 3 === 0 ? 'O' : 'RO' },
      }),
    )
    messages.push(
      buildMessage({
        subject: 'The needle in the haystack',
        from: 'Zoë Quill <zoe@example.org>',
        date: 'Sun, 15 Mar 2026 12:00:00 +0000',
        headers: { Status: 'O' },
        html: `<h1>Hello</h1><p>The secret word is <b>xylophone</b>.</p><img alt="logo" src="cid:logo@x"><img alt="tracker" src="${pixel}">${hostileHtml(web)}`,
        attachments: [
          {
            filename: 'logo.png',
            contentType: 'image/png',
            content: logo,
            contentId: 'logo@x',
            inline: true,
          },
          { filename: 'notes.pdf', contentType: 'application/pdf', content: randomBytes(2048) },
        ],
      }),
    )
    const mbox = join(tempDir(), 'Inbox.mbox')
    writeFileSync(mbox, buildMbox(messages))

    const page = await openApp(tempDir())
    await expect
      .poll(() => page.getByRole('heading', { name: 'Welcome to Cairn' }).isVisible())
      .toBe(true)
    expect(await page.getByRole('button', { name: /Import mail/ }).isEnabled()).toBe(true)
    expect(await page.getByRole('button', { name: /Add an account/ }).isEnabled()).toBe(true)
    expect(await page.getByRole('button', { name: /Restore from a backup/ }).isEnabled()).toBe(true)
    await keepScreenshot(page, 'first-run')

    // A typo first: the dialog says what is wrong and nothing is lost.
    await page.getByRole('button', { name: /Import mail/ }).click()
    await page.getByLabel(/mbox files, or folders/).fill('/no/such/export.mbox')
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toContain('/no/such/export.mbox does not exist.')

    await page.getByRole('button', { name: 'Import', exact: true }).click() // still there after the error
    await page.getByLabel(/mbox files, or folders/).fill(mbox)
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'Import finished' }).textContent(), {
        timeout: 20_000,
      })
      .toContain('31 messages imported into Inbox')
    await page.getByRole('button', { name: 'Done' }).click()

    // The folder tree shows Inbox with unread / total.
    const inbox = page.locator('[data-folder="Inbox"]')
    await expect.poll(() => inbox.textContent()).toBe('Inbox11 / 31')

    // Newest first: the needle (15 March) heads the list.
    const firstRow = page.locator('.message-row').first()
    await expect.poll(() => firstRow.textContent()).toContain('The needle in the haystack')
    await firstRow.click()
    await expect
      .poll(() => page.locator('.reader-subject').textContent())
      .toBe('The needle in the haystack')
    expect(await page.locator('.reader-from').textContent()).toBe('Zoë Quill <zoe@example.org>')
    expect(await page.getByRole('list', { name: 'Attachments' }).textContent()).toContain(
      'notes.pdf',
    )

    // HTML in a sandboxed frame served by the host with its own CSP:
    // inline image shown, tracker blocked, no script runs.
    await page.evaluate(
      "window.messagesFromFrames = 0; addEventListener('message', () => messagesFromFrames++)",
    )
    const frameElement = page.locator('iframe.mail-frame')
    expect(await frameElement.getAttribute('sandbox')).toBe(
      'allow-popups allow-popups-to-escape-sandbox',
    )
    expect(await frameElement.getAttribute('src')).toMatch(/^\/mail\/[\w-]{22}\/frame$/)
    const frame = page.frameLocator('iframe.mail-frame')
    await expect
      .poll(() => frame.locator('p').first().textContent())
      .toBe('The secret word is xylophone.')
    const logoImage = frame.locator('img[alt="logo"]')
    expect(await logoImage.getAttribute('src')).toMatch(/^\/mail\/[\w-]{22}\/inline\/\d+$/)
    await expect
      .poll(() =>
        logoImage.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
      )
      .toBe(1)
    await expect
      .poll(() => page.getByRole('note').textContent())
      .toContain('Remote images are blocked')
    const noScriptRan = async () => {
      await frame.locator('#js-link').click()
      await frame.locator('#submit').click()
      await page.waitForTimeout(500)
      expect(await frame.locator('#canary').textContent()).toBe('untouched')
      expect(await page.evaluate('window.messagesFromFrames')).toBe(0)
      for (const path of ['/script-ran', '/refreshed', '/object', '/form'])
        expect(requestsFor(path), path).toBe(0)
      expect(page.frames()).toHaveLength(2) // the app and the mail frame: no frame inside the mail
    }
    await noScriptRan()
    expect(requestsFor('/pixel.gif')).toBe(0)
    await keepScreenshot(page, 'mail-view')
    await page.getByRole('button', { name: 'Show images' }).click()
    await expect.poll(() => requestsFor('/pixel.gif')).toBeGreaterThan(0)
    expect(await frameElement.getAttribute('src')).toMatch(/^\/mail\/[\w-]{22}\/frame\?remote=1$/)
    // Allowing images allows no script.
    await noScriptRan()

    // Reading marked it read: the unread count went down.
    await expect.poll(() => inbox.textContent()).toBe('Inbox10 / 31')

    // Search as you type finds it by a word of its body, across folders.
    await page.getByRole('searchbox', { name: 'Search mail' }).fill('xylo')
    await expect.poll(() => page.locator('.message-row').count()).toBe(1)
    expect(await page.locator('.message-row').first().textContent()).toContain(
      'The needle in the haystack',
    )
    await page.getByRole('searchbox', { name: 'Search mail' }).fill('no-such-word-anywhere')
    await expect.poll(() => page.getByText('No messages match your search').isVisible()).toBe(true)
    await page.getByRole('searchbox', { name: 'Search mail' }).press('Escape')

    // Keyboard: arrows move through the list and open each message.
    await page.getByRole('listbox', { name: 'Message list' }).focus()
    await page.keyboard.press('Home')
    await expect
      .poll(() => page.locator('.reader-subject').textContent())
      .toBe('The needle in the haystack')
    await page.keyboard.press('ArrowDown')
    await expect.poll(() => page.locator('.reader-subject').textContent()).toBe('Weekly report 30')
    await page.keyboard.press('j')
    await expect.poll(() => page.locator('.reader-subject').textContent()).toBe('Weekly report 29')
    await page.keyboard.press('k')
    await expect.poll(() => page.locator('.reader-subject').textContent()).toBe('Weekly report 30')
    const shot = await keepScreenshot(page, 'mail-journey')
    expect(existsSync(shot)).toBe(true)
    await page.close()
  })

  it("the mail frame's CSP and sandbox alone stop a mail's scripts (the cleaner is a second layer)", async () => {
    const web = await startWebStandIn()
    // A page and a frame served with exactly the mail frame's policy, but the mail's HTML uncleaned.
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x')
      const origin = `http://${req.headers.host ?? ''}`
      if (url.pathname === '/') {
        const sandbox = url.searchParams.get('control') ? 'allow-scripts' : MAIL_FRAME_SANDBOX
        const src = url.searchParams.get('control') ? '/frame?control=1' : '/frame'
        res.writeHead(200, { 'Content-Type': 'text/html' })
        res.end(
          `<script>window.messagesFromFrames=0;addEventListener('message',()=>messagesFromFrames++)</script>` +
            `<iframe sandbox="${sandbox}" src="${src}"></iframe>`,
        )
      } else {
        const headers: Record<string, string> = { 'Content-Type': 'text/html' }
        if (!url.searchParams.get('control'))
          headers['Content-Security-Policy'] = mailFrameCsp({
            origin,
            viewId: 'v',
            allowRemote: true,
          })
        res.writeHead(200, headers)
        // (The control leaves out the refresh, which would navigate its frame away.)
        const html = url.searchParams.get('control')
          ? hostileHtml(web).replace(/<meta[^>]*>/, '')
          : hostileHtml(web)
        res.end(`<!doctype html><body>${html}</body>`)
      }
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const page = await app.browser.newPage()
    try {
      const run = async (query: string) => {
        webRequests = []
        await page.goto(`${base}/${query}`)
        const frame = page.frameLocator('iframe')
        await expect.poll(() => frame.locator('#canary').count()).toBe(1)
        await page.waitForTimeout(500)
        return {
          canary: await frame.locator('#canary').textContent(),
          messages: (await page.evaluate('window.messagesFromFrames')) as number,
          calls: requestsFor('/script-ran'),
        }
      }
      // Control: the same HTML with scripts allowed does run (so the checks can see a script).
      const control = await run('?control=1')
      expect(control.canary).toBe('script ran')
      expect(control.messages).toBeGreaterThan(0)
      expect(control.calls).toBeGreaterThan(0)
      // The mail frame's policy, even with remote images allowed: nothing runs.
      expect(await run('')).toEqual({ canary: 'untouched', messages: 0, calls: 0 })
    } finally {
      await page.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  it('scrolls a folder of 150,000 messages with a bounded number of rows in the page', async () => {
    const profileDir = tempDir()
    await seedLargeFolder(profileDir, 150_000)
    const page = await openApp(profileDir)
    const folder = page.locator('[data-folder="Big"]')
    await expect.poll(() => folder.textContent(), { timeout: 20_000 }).toBe('Big150000')
    await expect
      .poll(() => page.locator('.message-row').first().textContent())
      .toContain('Message 150000')
    const list = page.getByRole('listbox', { name: 'Message list' })
    await list.focus()
    await page.keyboard.press('End')
    await expect
      .poll(() => page.locator('.reader-subject').textContent(), { timeout: 10_000 })
      .toBe('Message 1')
    // Jump to the middle by dragging the scroll position: the rows there arrive.
    await list.evaluate((el) => el.scrollTo({ top: el.scrollHeight / 2 }))
    const firstLoaded = async () => {
      const text = await page
        .locator('.message-row:not(.placeholder) .row-subject')
        .first()
        .textContent()
      return Number(/Message (\d+)/.exec(text ?? '')?.[1])
    }
    await expect.poll(firstLoaded, { timeout: 10_000 }).toBeGreaterThan(70_000)
    expect(await firstLoaded()).toBeLessThan(80_000)
    expect(await page.locator('.message-row-slot').count()).toBeLessThan(80)
    await keepScreenshot(page, 'large-folder')
    await page.close()
  })
})

/** Fill a profile with a folder of `count` messages straight through SQL (the import path has its own tests). */
async function seedLargeFolder(profileDir: string, count: number): Promise<void> {
  // openServices creates and migrates the database; then write through a plain connection.
  await openServices(profileDir).close()
  const db = new Database(join(profileDir, 'mail.sqlite'))
  db.exec(`
    INSERT INTO accounts (id, kind, name, created_at) VALUES (1, 'local', 'Local Folders', 0);
    INSERT INTO folders (id, account_id, name, path) VALUES (1, 1, 'Big', 'Big');
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})
    INSERT INTO messages (folder_id, content_hash, subject, from_name, from_address, date, seen, size, snippet, body_text)
    SELECT 1, 'h' || i, 'Message ' || i, 'Sender ' || (i % 50), 's' || (i % 50) || '@example.com',
           1600000000000 + i * 60000, 1, 1000, 'Snippet of message ' || i, 'Body ' || i FROM n;
  `)
  db.close()
}

import { X509Certificate } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { findChat } from '../../main/chat/store/chats'
import { chatHistory } from '../../main/chat/store/messages'
import { el } from '../../main/chat/xmpp/xml'
import { startWebHost, type WebHost } from '../../main/ipc/web-server'
import { accountSecrets } from '../../main/keychain/account-secrets'
import { osKeychain } from '../../main/keychain/keychain'
import { openServices, type CairnServices } from '../../main/services'
import { keepScreenshot, launchBrowser } from '../support/browser'
import { chatProfile, PASSWORD, rawSession, until, type ChatProfile } from '../support/chat'
import { useRealKeychain } from '../support/keyring'
import { buildMbox, buildMessage } from '../support/mail-fixtures'
import { makePng } from '../support/png'
import { startProsody, type ProsodyServer } from '../support/prosody'
import { tempDir } from '../support/temp'
import { within } from '../support/within'

const rendererDir = join(import.meta.dirname, '..', '..', 'out', 'renderer')
/** Pictures sent both ways: real PNGs of known sizes. */
const PICTURE_A = makePng(160, 100, [200, 80, 40])
const PICTURE_B = makePng(120, 90, [40, 110, 200])

let browser: Browser
let keychain: { stop: () => void }
let server: ProsodyServer
let bob: ChatProfile
let services: CairnServices | undefined
let host: WebHost | undefined
let pageErrors: string[] = []

beforeAll(async () => {
  keychain = await useRealKeychain()
  server = await startProsody()
  for (const user of ['alice', 'bob', 'carol', 'dave', 'mallory']) server.register(user, PASSWORD)
  browser = await launchBrowser()
  bob = await chatProfile(server, 'bob')
  bob.client.start()
  await until(() => bob.client.connection.status === 'online', 'bob online')
  await bob.client.whenSynced()
})

afterAll(async () => {
  await browser?.close()
  await bob?.close()
  await server?.stop()
  keychain?.stop()
})

let currentPage: Page | undefined

afterEach(async (context) => {
  // A failing step leaves its picture behind.
  if (context.task.result?.state === 'fail' && currentPage && !currentPage.isClosed())
    await keepScreenshot(
      currentPage,
      `failed-${context.task.name.slice(0, 40).replace(/\W+/g, '-')}`,
    )
  expect(pageErrors, pageErrors.join('\n')).toEqual([])
  await host?.close()
  await services?.close()
  host = services = undefined
})

let currentProfileDir: string | undefined

async function openApp(profileDir: string): Promise<Page> {
  currentProfileDir = profileDir
  services = openServices(profileDir)
  host = await startWebHost({ services, rendererDir })
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  page.setDefaultTimeout(20_000)
  pageErrors = []
  currentPage = page
  page.on('pageerror', (error) => pageErrors.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text())
  })
  await page.goto(host.url)
  return page
}

/** SHA-256 fingerprint of the test server's certificate, hex digits only. */
function serverFingerprint(): string {
  return new X509Certificate(readFileSync(server.ca.certFile)).fingerprint256.replace(/:/g, '')
}

/** Add alice's account through the form, trusting the test server's certificate explicitly. */
async function addAccountThroughTheForm(page: Page, user: string): Promise<void> {
  await page.getByRole('button', { name: 'Chat', exact: true }).click()
  await page.getByLabel('Chat address').fill(`${user}@localhost`)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Enter the server by hand…' }).click()
  await page.getByLabel('Server (host or host:port)').fill(server.server)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: "This server's certificate is not trusted" }).waitFor()
  // The fingerprint shown is the server's own; nothing is trusted until the user says so.
  const shown = (await page.getByTestId('fingerprint').textContent())?.replace(/[^0-9A-F]/g, '')
  expect(shown).toBe(serverFingerprint())
  const trust = page.getByRole('button', { name: 'Trust this certificate and sign in' })
  expect(await trust.isDisabled()).toBe(true)
}

/** A profile in the browser with `user`'s account added (certificate trusted explicitly). */
async function appWithAccount(user: string): Promise<Page> {
  const page = await openApp(tempDir())
  await addAccountThroughTheForm(page, user)
  await trustAndSignIn(page)
  return page
}

async function trustAndSignIn(page: Page): Promise<void> {
  await page.getByLabel('I compared this fingerprint and trust this certificate').check()
  await page.getByRole('button', { name: 'Trust this certificate and sign in' }).click()
  await expect
    .poll(() => page.getByRole('list', { name: 'Chat accounts' }).textContent(), {
      timeout: 30_000,
    })
    .toMatch(/Connected/)
}

function messagesOf(profile: ChatProfile, peer: string) {
  const chat = findChat(profile.db, profile.accountId, peer)
  return chat ? chatHistory(profile.db, chat.id, { limit: 10_000 }) : []
}

describe('chat in the browser build (real Prosody, real Chromium)', () => {
  it('adds an account trusting its certificate explicitly, chats with ticks, typing and pictures, and search finds chats beside mail', async () => {
    const profileDir = tempDir()
    // Some mail that shares a word with the chat, so the one search box finds both kinds.
    const mbox = join(tempDir(), 'Inbox.mbox')
    writeFileSync(
      mbox,
      buildMbox([
        buildMessage({
          subject: 'Quokka sighting report',
          text: 'A quokka was seen near the shed.',
        }),
      ]),
    )
    const seeded = openServices(profileDir)
    await new Promise<void>((resolve, reject) => {
      seeded.mail.events.on('importFinished', ({ error }) =>
        error ? reject(new Error(error.message)) : resolve(),
      )
      seeded.mail.startImport([mbox])
    })
    await seeded.close()

    const page = await openApp(profileDir)
    await addAccountThroughTheForm(page, 'alice')
    await keepScreenshot(page, 'chat-certificate')
    await trustAndSignIn(page)
    const alice = services as CairnServices
    const aliceAccount = alice.chat.accounts()[0]
    expect(aliceAccount?.jid).toBe('alice@localhost')
    // The password is in the keychain, not in the profile's settings or database config.
    expect(JSON.stringify(aliceAccount?.config)).not.toContain(PASSWORD)

    // A new chat with bob, adding him as a contact: he is asked, accepts, and asks back.
    const asked = new Promise<void>((resolve) =>
      bob.client.events.on(
        'subscriptionRequest',
        ({ jid }) => jid === 'alice@localhost' && resolve(),
      ),
    )
    await page.getByRole('button', { name: 'New…' }).click()
    await page.getByLabel('Their chat address').fill('bob@localhost')
    await page.getByLabel('Name (optional)').fill('Bob')
    await page.getByRole('button', { name: 'Start chatting' }).click()
    await page.getByRole('region', { name: /Conversation with/ }).waitFor()
    await within(asked, 'bob to be asked for his presence')
    bob.client.acceptSubscription('alice@localhost')
    const request = page.getByRole('region', { name: 'Contact requests' })
    await expect.poll(() => request.textContent()).toContain('bob@localhost wants to add you')
    await keepScreenshot(page, 'chat-request')
    await request.getByRole('button', { name: 'Accept' }).click()
    await expect.poll(() => request.count()).toBe(0)
    await page.getByRole('tab', { name: 'Contacts' }).click()
    const contacts = page.getByRole('listbox', { name: 'Contacts' })
    await expect
      .poll(() => contacts.getByRole('img', { name: 'Online' }).count(), { timeout: 30_000 })
      .toBe(1)
    expect(await contacts.textContent()).toContain('Bob')
    await page.getByRole('tab', { name: 'Chats' }).click()

    // Typing goes to bob (composing), then the message; his device confirms it, then he reads it.
    // (Bob has the conversation open: typing from someone without a chat is not reported.)
    bob.chat.openChat(bob.accountId, 'alice@localhost')
    const typingSeen = new Promise<string>((resolve) =>
      bob.client.events.on('typing', ({ state }) => resolve(state)),
    )
    const composer = page.getByRole('textbox', { name: 'Message' })
    await composer.fill('Hello Bob')
    expect(await within(typingSeen, 'bob to see alice typing')).toBe('composing')
    await composer.press('Enter')
    await until(
      () => messagesOf(bob, 'alice@localhost').some((m) => m.body === 'Hello Bob'),
      'bob receives',
    )
    const mine = page.locator('.bubble-row.out').filter({ hasText: 'Hello Bob' })
    await expect.poll(() => mine.locator('[data-tick]').getAttribute('data-tick')).toBe('delivered')
    await keepScreenshot(page, 'chat-delivered')
    const bobChat = findChat(bob.db, bob.accountId, 'alice@localhost')
    bob.chat.markRead(bobChat?.id as number)
    await expect.poll(() => mine.locator('[data-tick]').getAttribute('data-tick')).toBe('read')
    expect(await mine.getByRole('img', { name: 'Read' }).count()).toBe(1)

    // Bob types, then answers: alice sees "typing", then the message (which ends it).
    bob.client.setTyping('alice@localhost', 'composing')
    const typing = page.locator('.typing-indicator')
    await expect.poll(() => typing.textContent()).toBe('Bob is typing…')
    await keepScreenshot(page, 'chat-typing')
    bob.client.sendText('alice@localhost', 'Hi Alice! Did you see the quokka?')
    await expect
      .poll(() => page.locator('.bubble-row.in').last().textContent())
      .toContain('Did you see the quokka?')
    await expect.poll(() => typing.textContent()).toBe('')
    expect(await page.getByRole('separator').filter({ hasText: 'Today' }).count()).toBe(1)

    // Pictures both ways: alice's through the file input (handed over in chunks, uploaded over
    // HTTPS), bob's downloaded into alice's profile; both shown from the app's own copies.
    const picture = join(tempDir(), 'holiday photo.png')
    writeFileSync(picture, PICTURE_A)
    await page.getByTestId('chat-file-input').setInputFiles(picture)
    await until(
      () =>
        messagesOf(bob, 'alice@localhost').some((m) =>
          m.attachments.some((a) => a.filename === 'holiday photo.png' && a.state === 'stored'),
        ),
      'bob receives the picture',
    )
    const bobsPicture = join(tempDir(), 'from bob.png')
    writeFileSync(bobsPicture, PICTURE_B)
    await bob.client.sendFile('alice@localhost', bobsPicture)
    const images = page.locator('.bubble-image img')
    await expect.poll(() => images.count(), { timeout: 30_000 }).toBe(2)
    for (const [index, width] of [
      [0, 160],
      [1, 120],
    ] as const) {
      const image = images.nth(index)
      expect(await image.getAttribute('src')).toMatch(/^\/chat\/file\/[\w-]{22}$/)
      await expect
        .poll(() =>
          image.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
        )
        .toBe(width)
    }
    await keepScreenshot(page, 'chat-conversation')

    // The one search box finds the chat message and the mail, in the chat view…
    const search = page.getByRole('searchbox', { name: 'Search mail and chats' })
    await search.fill('quokka')
    const results = page.getByRole('listbox', { name: 'Search results' })
    await expect.poll(() => results.locator('.hit-row[data-kind="chat"]').count()).toBe(1)
    expect(await results.locator('.hit-row[data-kind="mail"]').count()).toBe(1)
    await keepScreenshot(page, 'chat-search')
    await results.locator('.hit-row[data-kind="chat"]').click()
    await expect
      .poll(() => page.locator('.bubble-row.highlighted').textContent())
      .toContain('quokka')
    await search.fill('')

    // … and in the mail view, where a chat hit opens its conversation.
    await page.getByRole('button', { name: 'Mail', exact: true }).click()
    const mailSearch = page.getByRole('searchbox', { name: 'Search mail and chats' })
    await mailSearch.fill('quokka')
    await expect.poll(() => page.locator('.message-row').count()).toBe(2)
    await page.locator('.message-row.chat-hit').click()
    await expect
      .poll(() => page.getByRole('article', { name: 'Chat message' }).textContent())
      .toContain('Did you see the quokka?')
    await keepScreenshot(page, 'mail-search-finds-chat')
    await page.getByRole('button', { name: 'Open the conversation' }).click()
    await expect
      .poll(() => page.locator('.bubble-row.highlighted').textContent())
      .toContain('quokka')

    // A message while the window is not focused: the browser build shows a notice in the page.
    // (Headless Chromium reports every page focused, whatever is in front: the test tells the
    // page its window lost focus, as the window system would.)
    await page.evaluate(
      "Object.defineProperty(document, 'hasFocus', { value: () => false, configurable: true }); dispatchEvent(new Event('blur'))",
    )
    bob.client.sendText('alice@localhost', 'Are you there?')
    const notice = page.getByRole('region', { name: 'New messages' })
    await expect.poll(() => notice.textContent()).toContain('Are you there?')
    // Not read while unseen: the badge says so.
    await expect
      .poll(() => page.getByRole('navigation', { name: 'Mail or chat' }).textContent())
      .toBe('MailChat1')
    await keepScreenshot(page, 'chat-notice')
    await page.evaluate("delete document.hasFocus; dispatchEvent(new Event('focus'))")
    await notice.getByRole('button', { name: /Are you there/ }).click()
    await expect.poll(() => notice.count()).toBe(0)
    // Back in the window, on screen: read (and the badge goes).
    await expect
      .poll(() => page.getByRole('navigation', { name: 'Mail or chat' }).textContent())
      .toBe('MailChat')

    // The keyboard: Ctrl+1 / Ctrl+2 switch views, "/" searches, the lists move with the arrows,
    // Enter opens, Escape in the composer goes back to the list.
    await page.keyboard.press('Control+1')
    await expect
      .poll(() => page.getByRole('listbox', { name: 'Message list' }).isVisible())
      .toBe(true)
    await page.keyboard.press('Control+2')
    const conversations = page.getByRole('listbox', { name: 'Conversations' })
    await expect.poll(() => conversations.isVisible()).toBe(true)
    await page.getByRole('log', { name: 'Messages' }).focus()
    await page.keyboard.press('/')
    await expect
      .poll(() => page.evaluate('document.activeElement.getAttribute("aria-label")'))
      .toBe('Search mail and chats')
    await page.keyboard.press('Escape')
    await conversations.focus()
    await page.keyboard.press('End')
    await page.keyboard.press('Enter')
    await expect
      .poll(() => page.getByRole('region', { name: 'Conversation with Bob' }).isVisible())
      .toBe(true)
    await composer.focus()
    await page.keyboard.press('Escape')
    await expect
      .poll(() => page.evaluate('document.activeElement.getAttribute("aria-label")'))
      .toBe('Conversations')
    await page.close()
  }, 240_000)

  it('scrolls back through the server archive: older pages arrive above without moving what is on screen, across days, to the start', async () => {
    // 300 messages with erin over ten days, in alice's archive on the server; the profile
    // fetched only the newest 20 when the account was added (the rest come on scroll-back).
    const start = Math.floor(new Date(2026, 0, 10, 8).getTime() / 1000)
    server.register('erin', PASSWORD)
    server.seedArchive(
      'alice',
      Array.from({ length: 300 }, (_, i) => ({
        with: 'erin@localhost',
        from: i % 3 === 0 ? 'alice@localhost/old' : 'erin@localhost/phone',
        to: i % 3 === 0 ? 'erin@localhost' : 'alice@localhost',
        id: `old-${i}`,
        body: `archived message ${i}`,
        when: start + i * 48 * 60,
      })),
    )
    const profileDir = join(tempDir(), 'profile')
    const seeded = await chatProfile(server, 'alice', { dir: profileDir, initialArchive: 20 })
    await seeded.chat.syncOnce(seeded.accountId)
    expect(messagesOf(seeded, 'erin@localhost')).toHaveLength(20)
    await seeded.close()

    const page = await openApp(profileDir)
    await page.getByRole('button', { name: 'Chat', exact: true }).click()
    await page.locator('.chat-row').filter({ hasText: 'erin@localhost' }).click()
    const log = page.getByRole('log', { name: 'Messages' })
    await expect
      .poll(() => page.locator('.bubble-row').last().textContent())
      .toContain('archived message 299')
    const bubbles = () => page.locator('.bubble-text').allTextContents()
    // The texts of the messages in the visible part of the list, top first.
    const onScreen = () =>
      log.evaluate((list) => {
        // (Typed by hand: the tests' type check has no DOM.)
        type Box = { top: number; bottom: number }
        type Node = { getBoundingClientRect(): Box; textContent: string | null }
        const el = list as unknown as Node & { querySelectorAll(s: string): Iterable<Node> }
        const box = el.getBoundingClientRect()
        return [...el.querySelectorAll('.bubble-text')]
          .filter(
            (b) =>
              b.getBoundingClientRect().bottom > box.top &&
              b.getBoundingClientRect().top < box.bottom,
          )
          .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
          .map((b) => b.textContent ?? '')
      })
    const atStart = async () =>
      (await page.getByText('This is the start of the conversation.').count()) > 0
    const scrollState = () =>
      log.evaluate((el) => {
        const box = el as unknown as { scrollTop: number; scrollHeight: number }
        return { top: box.scrollTop, height: box.scrollHeight }
      })
    const scrollBy = (dy: number) =>
      log.evaluate((el, d) => ((el as unknown as { scrollTop: number }).scrollTop += d), dy)
    // What is on screen once the rows' real heights are measured (they start as estimates).
    const settled = async () => {
      let last = ''
      for (let tries = 0; tries < 30; tries++) {
        await page.waitForTimeout(150)
        const now = (await onScreen()).join('\n')
        const loading = await page.getByText('Loading older messages…').count()
        if (now === last && loading === 0) break
        last = now
      }
      return last.split('\n')
    }
    // Scroll up as a person does, 150 px at a time (less than the view's height). Whenever a
    // step passes 300 px from the top, an older page arrives above: the message that was at
    // the top before the step is still on screen after it, with the page and its measured
    // rows in between. Every page is checked, not only the first.
    let pagesArrived = 0
    let shown = await settled()
    for (let i = 0; i < 400 && !(await atStart()); i++) {
      const [anchor] = shown
      const before = await scrollState()
      await scrollBy(-150)
      shown = await settled()
      if (anchor) expect(shown).toContain(anchor)
      if ((await scrollState()).height > before.height + 1000) pagesArrived++
    }
    expect(pagesArrived).toBeGreaterThanOrEqual(5)
    await expect
      .poll(() => page.getByText('This is the start of the conversation.').count())
      .toBe(1)
    expect((await bubbles())[0]).toBe('archived message 0')
    await keepScreenshot(page, 'chat-scrollback')
    // Every message once, in order, with a separator for each of the days.
    const chat = (services as CairnServices).chat
    const erin = chat.listChats().find((c) => c.peer === 'erin@localhost')
    const all = chat.history(erin?.id as number, { limit: 1000 }).map((m) => m.body)
    expect(all).toEqual(Array.from({ length: 300 }, (_, i) => `archived message ${i}`))
    await log.evaluate((el) => ((el as unknown as { scrollTop: number }).scrollTop = 0))
    expect(
      await page
        .getByRole('separator')
        .filter({ hasText: /2026|January|Jan/ })
        .count(),
    ).toBeGreaterThan(0)
    await page.close()
  }, 240_000)

  it('joins a group chat, talks under a nickname, changes it and leaves', async () => {
    const page = await appWithAccount('carol')
    const room = `team-${Date.now()}@conference.localhost`
    await page.getByRole('button', { name: 'Group…' }).click()
    await page.getByLabel('Group chat address').fill(room)
    await page.getByLabel('Your nickname there').fill('Carol')
    await page.getByRole('button', { name: 'Join', exact: true }).click()
    const header = page.locator('.conversation-header')
    await expect.poll(() => header.textContent()).toContain('Group chat · you are Carol')
    await bob.client.joinRoom(room, 'Bobby')
    await expect.poll(() => header.textContent()).toContain('2 here')

    const composer = page.getByRole('textbox', { name: 'Message' })
    await composer.fill('Hello team')
    await composer.press('Enter')
    await until(
      () => messagesOf(bob, room).some((m) => m.body === 'Hello team' && m.sender === 'Carol'),
      'bob sees carol in the room',
    )
    // The room echoed it back: sent (a group chat has no receipts or read markers).
    const mine = page.locator('.bubble-row.out').filter({ hasText: 'Hello team' })
    await expect.poll(() => mine.locator('[data-tick]').getAttribute('data-tick')).toBe('sent')
    bob.client.sendText(room, 'Hi Carol, welcome', { group: true })
    const theirs = page.locator('.bubble-row.in').filter({ hasText: 'Hi Carol, welcome' })
    await expect.poll(() => theirs.locator('.bubble-sender').textContent()).toBe('Bobby')
    await keepScreenshot(page, 'chat-group')

    await page.getByRole('button', { name: 'Nickname…' }).click()
    await page.getByLabel('New nickname').fill('Caz')
    await page.getByRole('button', { name: 'Change' }).click()
    await expect.poll(() => header.textContent()).toContain('you are Caz')
    await composer.fill('Now as Caz')
    await composer.press('Enter')
    await until(
      () => messagesOf(bob, room).some((m) => m.body === 'Now as Caz' && m.sender === 'Caz'),
      'bob sees the new nickname',
    )

    await page.getByRole('button', { name: 'Leave' }).click()
    await expect.poll(() => header.textContent()).toContain('Group chat · not joined')
    expect(await composer.isDisabled()).toBe(true)
    await bob.client.leaveRoom(room)
    await page.close()
  }, 240_000)

  it('shows hostile input as plain text without freezing: controls, markup, bidi tricks, file names, a 10 MB message, floods of presences and messages', async () => {
    const page = await appWithAccount('dave')
    const dave = services as CairnServices
    const daveId = (dave.chat.accounts()[0] as { id: number }).id
    const mallory = await rawSession(server, 'mallory')
    mallory.send(el('presence'))
    // Mallory is a contact: her presences reach dave.
    const asked = new Promise<void>((resolve) =>
      mallory.events.on('stanza', (s) => {
        if (s.name === 'presence' && s.attrs.type === 'subscribe') resolve()
      }),
    )
    await dave.chat.addContact(daveId, 'mallory@localhost', 'Mallory')
    await within(asked, 'mallory to be asked')
    mallory.send(el('presence', { to: 'dave@localhost', type: 'subscribed' }))
    // Open the chat from the contact list.
    await page.getByRole('tab', { name: 'Contacts' }).click()
    await page
      .getByRole('listbox', { name: 'Contacts' })
      .getByText('Mallory', { exact: true })
      .click()
    await page.getByRole('region', { name: 'Conversation with Mallory' }).waitFor()
    await page.getByRole('tab', { name: 'Chats' }).click()

    // Watch the page for long tasks (a frozen window) from here on.
    await page.evaluate(`
      window.longestTask = 0
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries())
          window.longestTask = Math.max(window.longestTask, entry.duration)
      }).observe({ type: 'longtask' })`)

    const say = (id: string, body: string, oob?: string) =>
      mallory.send(
        el(
          'message',
          { to: 'dave@localhost', type: 'chat', id },
          el('body', {}, body),
          oob ? el('x', { xmlns: 'jabber:x:oob' }, el('url', {}, oob)) : null,
        ),
      )
    const tricky =
      'tab\there, NEL \u0085 and CSI \u009b31m, bidi \u202egnp.exe, <img src=x onerror="window.pwned=1"> <b>bold?</b> & <script>window.pwned=2</script>'
    say('tricky', tricky)
    say(
      'file-1',
      'https://localhost:1/share/..%2F..%2Fetc%2Fpasswd',
      'https://localhost:1/share/..%2F..%2Fetc%2Fpasswd',
    )
    say(
      'file-2',
      'https://localhost:1/share/%E2%80%AEfdp.exe',
      'https://localhost:1/share/%E2%80%AEfdp.exe',
    )
    say(
      'file-3',
      'https://localhost:1/share/%3Cimg%20src%3Dx%3E.png',
      'https://localhost:1/share/%3Cimg%20src%3Dx%3E.png',
    )
    const big = `${'lorem ipsum dolor sit amet, '.repeat(360_000)}END`
    say('big', big)
    for (let i = 0; i < 10_000; i++)
      mallory.send(
        el('presence', {}, el('show', {}, i % 2 ? 'away' : 'dnd'), el('status', {}, `status ${i}`)),
      )
    for (let i = 0; i < 2_000; i++) say(`flood-${i}`, `flood message ${i}`)
    say('last', 'the last one')

    const lastBubble = page.locator('.bubble-row.in').last()
    await expect
      .poll(() => lastBubble.textContent(), { timeout: 120_000 })
      .toContain('the last one')
    // The contact list caught up with the flood of presences (the last one says "away").
    await page.getByRole('tab', { name: 'Contacts' }).click()
    await expect
      .poll(() => page.getByRole('listbox', { name: 'Contacts' }).textContent(), {
        timeout: 30_000,
      })
      .toContain('status 9999')
    await page.getByRole('tab', { name: 'Chats' }).click()
    // A few dozen rows in the DOM for 2,000+ messages: the list is virtualised.
    expect(await page.locator('.conversation-row').count()).toBeLessThan(80)
    await keepScreenshot(page, 'chat-flood')

    // Scroll back to the hostile messages.
    const messages = page.getByRole('log', { name: 'Messages' })
    const trickyBubble = page.locator('.bubble-row.in').filter({ hasText: 'bold?' })
    // Each older page arrives above what is on screen (the view keeps its place): drag the
    // scroll bar to the top again and again, as a person looking for an old message does,
    // rather than wheel through the 10 MB message's height: ~40 pages of 50 messages.
    const until = Date.now() + 150_000
    while (Date.now() < until && (await trickyBubble.count()) === 0) {
      await messages.evaluate((el) => ((el as unknown as { scrollTop: number }).scrollTop = 0))
      await page.waitForTimeout(50)
    }
    if ((await trickyBubble.count()) === 0) {
      // Say where scrolling back stopped, so a failure on a loaded machine can be told apart.
      const where = await messages.evaluate((el) => ({
        status: el.querySelector('.older-loading')?.textContent,
        top: el.querySelector('.bubble-row .bubble-text')?.textContent?.slice(0, 60),
        scrollTop: (el as unknown as { scrollTop: number }).scrollTop,
      }))
      throw new Error(`The first message was not reached in 150 s: ${JSON.stringify(where)}`)
    }
    const text = await trickyBubble.locator('.bubble-text').textContent()
    // Markup is text, controls are visible symbols, bidi overrides are gone.
    expect(text).toContain('<img src=x onerror="window.pwned=1"> <b>bold?</b> & <script>')
    // (XML cannot carry C0 controls but tab and line feed; the C1 ones arrive, and show as �.)
    expect(text).toContain('tab\there, NEL \ufffd and CSI \ufffd31m')
    expect(text).not.toMatch(/[\u0080-\u009f]/)
    expect(text).not.toContain('\u202e')
    expect(await trickyBubble.locator('b, img, script').count()).toBe(0)
    expect(await page.evaluate('window.pwned')).toBeUndefined()
    await trickyBubble.scrollIntoViewIfNeeded()
    await keepScreenshot(page, 'chat-hostile-text')

    // File names: one plain name each, no folders, no reversal; the failed downloads say so.
    const names = await page.locator('.bubble-file-name').allTextContents()
    expect(names).toEqual(expect.arrayContaining(['passwd', 'fdp.exe', '_img src=x_.png']))
    for (const name of names) expect(name).not.toMatch(/[/\\\u202e]/)
    expect(await page.locator('.bubble-file').filter({ hasText: 'Download failed' }).count()).toBe(
      3,
    )

    // The 10 MB message: its start, and the rest on request, a slice at a time.
    const bigBubble = page.locator('.bubble-row.in').filter({ hasText: 'characters shown' })
    for (let i = 0; i < 200 && (await bigBubble.count()) === 0; i++) {
      await messages.evaluate((el) =>
        (el as unknown as { scrollBy(x: number, y: number): void }).scrollBy(0, 1500),
      )
      await page.waitForTimeout(50)
    }
    expect(await bigBubble.locator('.bubble-more').textContent()).toContain(
      `4,000 of ${big.length.toLocaleString('en-US')} characters shown`,
    )
    expect((await bigBubble.locator('.bubble-text').textContent())?.length).toBe(4_000)
    await bigBubble.getByRole('button', { name: 'Show more' }).click()
    await expect
      .poll(() => bigBubble.locator('.bubble-more').textContent())
      .toContain(`104,000 of ${big.length.toLocaleString('en-US')}`)
    await bigBubble.locator('.bubble-more').scrollIntoViewIfNeeded()
    await keepScreenshot(page, 'chat-big-message')

    // No long freeze of the page through all of it (a generous bound: a frozen window is seconds).
    const longest = (await page.evaluate('window.longestTask')) as number
    expect(longest).toBeLessThan(2_000)
    await mallory.close()
    await page.close()
  }, 300_000)

  it('says clearly what is wrong with an account: a password missing from the keychain, a server gone', async () => {
    const profileDir = tempDir()
    let page = await appWithAccount('alice')
    const accountId = (services?.chat.accounts()[0] as { id: number }).id
    const profileId = (services as CairnServices).profile.id
    await page.close()
    await host?.close()
    await services?.close()
    host = services = undefined
    void profileDir

    // The keychain lost the password: the account says so and asks for it.
    accountSecrets(osKeychain(), profileId).delete(accountId, 'password')
    page = await openApp(currentProfileDir as string)
    await page.getByRole('button', { name: 'Chat', exact: true }).click()
    const accounts = page.getByRole('list', { name: 'Chat accounts' })
    await expect.poll(() => accounts.textContent()).toContain('Password needed')
    await accounts.getByRole('button').first().click()
    await page.getByLabel('Password for alice@localhost').fill('not the password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/password/i)
    await keepScreenshot(page, 'chat-account-password')
    await page.getByLabel('Password for alice@localhost').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => accounts.textContent(), { timeout: 30_000 }).toContain('Connected')
    expect(accountSecrets(osKeychain(), profileId).get(accountId, 'password')).toBe(PASSWORD)

    // The server goes away: the account says it is retrying and why; it comes back by itself.
    await server.kill()
    await expect
      .poll(() => accounts.textContent(), { timeout: 30_000 })
      .toMatch(/Retrying in \d+ s/)
    await keepScreenshot(page, 'chat-account-retrying')
    await server.start()
    await expect.poll(() => accounts.textContent(), { timeout: 90_000 }).toContain('Connected')
    await page.close()
  }, 240_000)
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openServices } from '../../main/services'
import { useAppPages } from '../support/app-pages'
import { keepScreenshot } from '../support/browser'
import { addServerAccount, useMailServers } from '../support/mail-servers'
import { serverInbox, waitFor } from '../support/sync-world'
import { startRelay } from '../support/tcp-relay'
import { tempDir } from '../support/temp'

const servers = useMailServers({ users: ['ada', 'ben'] })
const { cert } = servers
let relay: Awaited<ReturnType<typeof startRelay>>
beforeAll(async () => {
  // Postfix's submission port behind a relay: cut, the SMTP server is down; restored, it is back.
  relay = await startRelay(servers.postfix.submissionPort)
})
afterAll(async () => {
  await relay?.close()
})
const app = useAppPages()

describe('the Outbox in the browser build, through real servers', () => {
  it('a message sent while SMTP is down shows in the Outbox with why; it leaves once sent', async () => {
    const services = openServices(tempDir())
    const accountId = await addServerAccount(services, servers, 'ada', {
      name: 'Ada Lovelace',
      smtpPort: relay.port,
    })
    await services.mailAccounts.sync.syncOnce(accountId)
    relay.cut()
    const page = await app.open(services, {
      viewport: { width: 1400, height: 900 },
      expectedErrors: [/sandboxed/],
      screenshotOnFailure: 'outbox-failure',
    })
    const inbox = page.locator('[data-folder="Inbox"]')
    await expect.poll(() => inbox.count()).toBe(1)
    const outboxFolder = page.locator('[data-outbox]')
    // Nothing waits: no Outbox in the tree.
    expect(await outboxFolder.count()).toBe(0)

    // Send to Ben, with a subject that tries to reorder what is shown around it.
    await page.getByRole('button', { name: 'Write' }).click()
    const panel = page.getByRole('region', { name: 'Compose' })
    await panel.getByLabel('To').fill('Ben <ben@example.test>')
    await panel.getByLabel('Subject').fill('Engine \u202etxt.exe\u202c plans')
    await panel.locator('.ProseMirror').click()
    await page.keyboard.type('The table is done.')
    await panel.getByRole('button', { name: 'Send' }).click()
    await expect.poll(() => panel.count()).toBe(0)
    await expect.poll(() => page.locator('.toast').textContent()).toContain('queued in the outbox')
    // Send starts a delivery at once, which finds the server down: the entry shows it failed.
    await expect.poll(() => outboxFolder.textContent()).toBe('Outbox! 1')
    await expect.poll(() => outboxFolder.getAttribute('class')).toContain('has-failed')
    await outboxFolder.click()
    const list = page.getByRole('list', { name: 'Messages waiting to be sent' })
    const item = list.getByRole('listitem')
    await expect.poll(() => item.count()).toBe(1)
    // Shown as text, the bidi override gone.
    expect(await item.locator('.row-subject').textContent()).toBe('Engine txt.exe plans')
    expect(await item.locator('.outbox-recipients').textContent()).toContain('ben@example.test')
    expect(await item.locator('.outbox-status').textContent()).toMatch(
      /^Waiting to send — next try at \S+/,
    )
    expect(await item.locator('.outbox-detail').textContent()).toContain(
      `127.0.0.1:${relay.port} cannot be reached for sending`,
    )
    await keepScreenshot(page, 'outbox-stuck')

    // The server is back; Send now, from the keyboard.
    relay.restore()
    await item.getByRole('button', { name: 'Send now' }).focus()
    await page.keyboard.press('Enter')
    await expect.poll(() => item.count(), { timeout: 30_000 }).toBe(0)
    await expect
      .poll(() => page.locator('.outbox .state-title').textContent())
      .toBe('Nothing waiting to be sent')
    await waitFor(
      async () => (await serverInbox(servers.dovecot, cert, 'ben')).length === 1,
      20_000,
    )

    // Another folder chosen, the empty Outbox leaves the tree.
    await inbox.click()
    await expect.poll(() => outboxFolder.count()).toBe(0)

    // Down again: a second message is given up on (asked once more), and never sent.
    relay.cut()
    await page.getByRole('button', { name: 'Write' }).click()
    await panel.getByLabel('To').fill('ben@example.test')
    await panel.getByLabel('Subject').fill('Never mind')
    await panel.getByRole('button', { name: 'Send' }).click()
    await expect.poll(() => panel.count()).toBe(0)
    await services.mailAccounts.send.flush()
    // From the chat view, a clicked "not sent" notification (the desktop
    // app's; the browser build has none) brings up the mail view's Outbox.
    await page.getByRole('button', { name: 'Chat', exact: true }).click()
    app.host?.context.host.commands.emit('command', { command: 'open-outbox' })
    await expect.poll(() => item.locator('.row-subject').textContent()).toBe('Never mind')
    expect(await list.isVisible()).toBe(true)
    await item.getByRole('button', { name: 'Delete' }).click()
    await item.getByRole('button', { name: 'Delete unsent message' }).click()
    await expect.poll(() => item.count()).toBe(0)
    expect(services.mailAccounts.send.outbox()).toEqual([])
    expect(await serverInbox(servers.dovecot, cert, 'ben')).toHaveLength(1)
    await page.close()
  })
})

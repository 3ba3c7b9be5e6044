import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openServices } from '../../main/services'
import { useAppPages } from '../support/app-pages'
import { keepScreenshot } from '../support/browser'
import { addServerAccount, useMailServers } from '../support/mail-servers'
import { otherClient, serverInbox, waitFor } from '../support/sync-world'
import { tempDir } from '../support/temp'

const servers = useMailServers({ users: ['ada', 'ben'] })
const { cert } = servers
const app = useAppPages()

describe('writing mail in the browser build, through real servers', () => {
  it('composes with an attachment and sends; replies and forwards from the reader', async () => {
    const services = openServices(tempDir())
    const accountId = await addServerAccount(services, servers, 'ada', { name: 'Ada Lovelace' })
    // Ben has written to Ada (put straight into her Inbox, as delivery would).
    const ada = await otherClient(servers.dovecot, cert, 'ada', 'ada-password')
    try {
      await ada.append(
        'INBOX',
        [
          'From: Ben <ben@example.test>',
          'To: Ada Lovelace <ada@example.test>',
          'Subject: The punched cards',
          'Date: Mon, 02 Mar 2026 10:00:00 +0000',
          'Message-ID: <cards-1@example.test>',
          'MIME-Version: 1.0',
          'Content-Type: multipart/mixed; boundary="b1"',
          '',
          '--b1',
          'Content-Type: text/html; charset=utf-8',
          '',
          '<p>The cards for <i>loom</i> patterns are ready.</p><script>alert(1)</script>',
          '--b1',
          'Content-Type: text/plain; name="cards.txt"',
          'Content-Disposition: attachment; filename="cards.txt"',
          '',
          'card 1, card 2',
          '--b1--',
          '',
        ].join('\r\n'),
      )
    } finally {
      await ada.logout()
    }
    await services.mailAccounts.sync.syncOnce(accountId)
    services.mailDesk.compose.setSignature(accountId, '<p>Ada, Countess of Lovelace</p>')
    const page = await app.open(services, {
      viewport: { width: 1400, height: 900 },
      expectedErrors: [/sandboxed/],
    })

    // Write: to Ben, with a subject, rich text and a file.
    await page.getByRole('button', { name: 'Write' }).click()
    const panel = page.getByRole('region', { name: 'Compose' })
    await panel.getByLabel('To').fill('Ben <ben@example.test>')
    await panel.getByLabel('Subject').fill('Plans for the engine')
    const editor = panel.locator('.ProseMirror')
    await editor.click()
    await page.keyboard.press('Control+Home')
    await page.keyboard.type('The table of Bernoulli numbers is ')
    await page.keyboard.press('Control+b')
    await page.keyboard.type('done')
    await page.keyboard.press('Control+b')
    await page.keyboard.type('.')
    const notes = join(tempDir(), 'note-g.txt')
    const noteBytes = randomBytes(1500).toString('hex')
    writeFileSync(notes, noteBytes)
    await panel.getByLabel('Attach files').setInputFiles(notes)
    await expect
      .poll(async () =>
        (await panel.getByRole('alert').count())
          ? await panel.getByRole('alert').textContent()
          : await panel
              .getByRole('list', { name: 'Attached files' })
              .textContent({ timeout: 1000 })
              .catch(() => ''),
      )
      .toContain('note-g.txt')
    await keepScreenshot(page, 'compose-new-message')
    await panel.getByRole('button', { name: 'Send' }).click()
    await expect.poll(() => panel.count()).toBe(0)
    await expect.poll(() => page.locator('.toast').textContent()).toContain('queued in the outbox')

    await waitFor(
      async () => (await serverInbox(servers.dovecot, cert, 'ben')).length === 1,
      20_000,
    )

    // Ben's copy: HTML with bold text, a plain-text alternative, the signature, the file.
    const ben = await otherClient(servers.dovecot, cert, 'ben', 'ben-password')
    let raw = ''
    try {
      await ben.mailboxOpen('INBOX')
      for await (const m of ben.fetch('1:*', { source: true })) raw = m.source?.toString() ?? ''
    } finally {
      await ben.logout()
    }
    expect(raw).toMatch(/^Subject: Plans for the engine/m)
    expect(raw).toMatch(/^To: Ben <ben@example\.test>/m)
    expect(raw).toContain('text/plain')
    expect(raw).toContain('<strong>done</strong>')
    expect(raw).toContain('Ada, Countess of Lovelace')
    expect(raw).toContain('filename=note-g.txt')

    const row = page.locator('.message-row').filter({ hasText: 'The punched cards' })
    await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1)
    await row.click()
    await expect.poll(() => page.locator('.reader-subject').textContent()).toBe('The punched cards')

    // Reply with r: to Ben, quoted (sanitised: no script), threaded.
    await page.locator('.message-list').focus()
    await page.keyboard.press('r')
    await expect.poll(() => panel.getByLabel('To').inputValue()).toBe('Ben <ben@example.test>')
    expect(await panel.getByLabel('Subject').inputValue()).toBe('Re: The punched cards')
    expect(await editor.innerHTML()).toContain('<em>loom</em>')
    expect(await editor.innerHTML()).not.toContain('script')
    await editor.click()
    await page.keyboard.press('Control+Home')
    await page.keyboard.type('Wonderful, thank you.')
    await keepScreenshot(page, 'compose-reply')
    await panel.getByRole('button', { name: 'Send' }).click()
    await expect.poll(() => panel.count()).toBe(0)
    await expect.poll(() => page.locator('.toast').textContent()).toContain('queued in the outbox')

    // Forward with f, the attachment carried along.
    await page.keyboard.press('f')
    await expect.poll(() => panel.getByLabel('Subject').inputValue()).toBe('Fwd: The punched cards')
    expect(await panel.getByRole('list', { name: 'Attached files' }).textContent()).toContain(
      'cards.txt',
    )
    await panel.getByLabel('To').fill('ben@example.test')
    await panel.getByRole('button', { name: 'Send' }).click()
    await expect.poll(() => panel.count()).toBe(0)
    await expect.poll(() => page.locator('.toast').textContent()).toContain('queued in the outbox')

    await waitFor(
      async () => (await serverInbox(servers.dovecot, cert, 'ben')).length === 3,
      20_000,
    )
    const received: string[] = []
    const ben2 = await otherClient(servers.dovecot, cert, 'ben', 'ben-password')
    try {
      await ben2.mailboxOpen('INBOX')
      for await (const m of ben2.fetch('1:*', { source: true }))
        received.push(m.source?.toString() ?? '')
    } finally {
      await ben2.logout()
    }
    const reply = received.find((r) => /^Subject: Re: The punched cards/m.test(r)) ?? ''
    expect(reply).toMatch(/^In-Reply-To: <cards-1@example\.test>/m)
    expect(reply).toContain('Wonderful, thank you.')
    const forward = received.find((r) => /^Subject: Fwd: The punched cards/m.test(r)) ?? ''
    expect(forward).toContain('filename=cards.txt')
    expect(services.mailDesk.compose.list()).toEqual([])
    await page.close()
  })
})

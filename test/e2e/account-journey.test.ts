import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { accountSecrets } from '../../main/keychain/account-secrets'
import { osKeychain } from '../../main/keychain/keychain'
import { openServices, type CairnServices } from '../../main/services'
import { formatFingerprint } from '../../renderer/accounts/setup-form'
import { useAppPages } from '../support/app-pages'
import { keepScreenshot } from '../support/browser'
import { seedMaildir } from '../support/dovecot'
import { startSrvDns } from '../support/srv-dns'
import { buildMessage } from '../support/mail-fixtures'
import { useMailServers } from '../support/mail-servers'
import { imapsSettings, otherClient } from '../support/sync-world'
import { makeTestCertificate } from '../support/test-ca'
import { tempDir } from '../support/temp'

// A private CA: to the app, whose trust store does not hold it, Dovecot's and Postfix's certificate is untrusted.
const servers = useMailServers()
const { cert } = servers
const app = useAppPages()

async function openApp(profileDir: string): Promise<Page> {
  return app.open(openServices(profileDir), {
    // The sandboxed mail frame refusing scripts is expected, not an error.
    expectedErrors: [/sandboxed/],
    // A failure keeps what the page showed, to see why.
    screenshotOnFailure: 'account-journey-failure',
  })
}

describe('a mail account in the browser build, against Dovecot and Postfix', () => {
  it('asks before using settings the lookup found outside the address’s domain (SRV records only DNS vouches for)', async () => {
    // DNS (forgeable) names localhost, outside example.test, as its mail servers.
    const dns = await startSrvDns({
      '_imaps._tcp.example.test': [
        { priority: 0, weight: 0, port: servers.dovecot.imapsPort, target: 'localhost' },
      ],
      '_submission._tcp.example.test': [
        { priority: 0, weight: 0, port: servers.postfix.submissionPort, target: 'localhost' },
      ],
    })
    const before = { dns: process.env.CAIRN_DNS_SERVERS, ispdb: process.env.CAIRN_ISPDB_URL }
    process.env.CAIRN_DNS_SERVERS = dns.server
    process.env.CAIRN_ISPDB_URL = 'https://127.0.0.1:1/' // no ISP database on this network
    try {
      const page = await openApp(tempDir())
      await page.getByRole('button', { name: /Add an account/ }).click()
      const dialog = page.getByRole('dialog', { name: 'Accounts' })
      await dialog.locator('input[name="email"]').fill('alice@example.test')
      await dialog.locator('input[name="password"]').fill('alice-password')
      await dialog.getByRole('button', { name: 'Continue' }).click()

      const ask = dialog.getByRole('alert', { name: 'Confirm the servers' })
      await expect
        .poll(() => ask.locator('p').first().textContent())
        .toBe('The settings found for example.test point to localhost — use them?')
      expect(await dialog.locator('input[name="imap-host"]').inputValue()).toBe('localhost')
      // Nothing is sent there until the user chooses.
      expect(await dialog.getByRole('button', { name: 'Add account' }).isDisabled()).toBe(true)
      await keepScreenshot(page, 'account-setup-outside-domain')
      // This Dovecot and Postfix know the user as "alice".
      await dialog.locator('input[name="imap-username"]').fill('alice')
      await dialog.locator('input[name="smtp-username"]').fill('alice')
      await ask.getByRole('button', { name: 'Use them' }).click()
      await dialog.getByRole('button', { name: 'Add account' }).click()

      const question = dialog.getByRole('alertdialog')
      await expect
        .poll(() => question.locator('h3').textContent())
        .toBe(`Cairn cannot vouch for localhost:${servers.dovecot.imapsPort}`)
      await question.getByRole('button', { name: 'Trust this certificate' }).click()
      await expect
        .poll(() => question.locator('h3').textContent())
        .toBe(`Cairn cannot vouch for localhost:${servers.postfix.submissionPort}`)
      await question.getByRole('button', { name: 'Trust this certificate' }).click()
      await expect.poll(() => dialog.count()).toBe(0)
      const account = app.services?.mailAccounts.accounts.list()[0]
      expect(account?.imap.host).toBe('localhost')
      expect(account?.smtp.host).toBe('localhost')
    } finally {
      if (before.dns === undefined) delete process.env.CAIRN_DNS_SERVERS
      else process.env.CAIRN_DNS_SERVERS = before.dns
      if (before.ispdb === undefined) delete process.env.CAIRN_ISPDB_URL
      else process.env.CAIRN_ISPDB_URL = before.ispdb
      dns.close()
    }
  }, 120_000)

  it('first run → add an account (untrusted certificates shown and accepted) → folders with unread counts → read a message → a new one arrives', async () => {
    seedMaildir(servers.dovecot, 'alice', [
      {
        raw: buildMessage({
          subject: 'Minutes of the harbour meeting',
          from: 'Marta Lind <marta@example.test>',
          to: 'alice@example.test',
          date: 'Mon, 02 Mar 2026 09:00:00 +0000',
          text: 'The pier opens on Thursday.\n',
        }),
      },
      {
        raw: buildMessage({
          subject: 'Already read',
          to: 'alice@example.test',
          date: 'Sun, 01 Mar 2026 09:00:00 +0000',
        }),
        flags: 'S',
      },
    ])
    const page = await openApp(tempDir())
    await page.getByRole('button', { name: /Add an account/ }).click()
    const dialog = page.getByRole('dialog', { name: 'Accounts' })
    await dialog.locator('input[name="email"]').fill('alice@example.test')
    await dialog.locator('input[name="password"]').fill('alice-password')
    // No autoconfig for example.test here: the settings are typed by hand.
    await dialog.getByRole('button', { name: 'Manual settings' }).click()
    await dialog.locator('input[name="imap-host"]').fill('127.0.0.1')
    await dialog.locator('input[name="imap-port"]').fill(String(servers.dovecot.imapsPort))
    await dialog.locator('input[name="imap-username"]').fill('alice')
    await dialog.locator('select[name="smtp-security"]').selectOption('starttls')
    await dialog.locator('input[name="smtp-host"]').fill('127.0.0.1')
    await dialog.locator('input[name="smtp-port"]').fill(String(servers.postfix.submissionPort))
    await dialog.locator('input[name="smtp-username"]').fill('alice')
    await keepScreenshot(page, 'account-setup-manual')
    await dialog.getByRole('button', { name: 'Add account' }).click()

    // IMAP first: the certificate is shown with its fingerprint, never accepted silently.
    const question = dialog.getByRole('alertdialog')
    await expect
      .poll(() => question.locator('h3').textContent())
      .toBe(`Cairn cannot vouch for 127.0.0.1:${servers.dovecot.imapsPort}`)
    expect(await question.locator('.fingerprint').textContent()).toBe(
      formatFingerprint(cert.fingerprint256),
    )
    await keepScreenshot(page, 'account-setup-certificate')
    expect(app.services?.mailAccounts.accounts.list()).toEqual([]) // nothing saved yet
    await question.getByRole('button', { name: 'Trust this certificate' }).click()
    // Then SMTP (STARTTLS on submission), its own question.
    await expect
      .poll(() => question.locator('h3').textContent())
      .toBe(`Cairn cannot vouch for 127.0.0.1:${servers.postfix.submissionPort}`)
    await question.getByRole('button', { name: 'Trust this certificate' }).click()
    await expect.poll(() => dialog.count()).toBe(0)

    // The account and its folders in the tree, the Inbox with its unread count, the state up to date.
    const inbox = page.locator('[data-folder="Inbox"]')
    await expect.poll(() => inbox.locator('.folder-count').textContent()).toBe('1 / 2')
    const status = page.locator('.account-status[data-account="alice@example.test"]')
    await expect.poll(() => status.getAttribute('data-status')).toBe('idle')
    expect(await page.locator('.folder-tree h3.account').allTextContents()).toContain(
      'alice@example.test',
    )
    const account = app.services?.mailAccounts.accounts.list()[0]
    expect(account?.imap.pinned).toBe(cert.fingerprint256)
    expect(account?.smtp.pinned).toBe(cert.fingerprint256)

    // Read the unread message: its body is shown, and the \Seen flag reaches the server.
    await inbox.click()
    await page.locator('.message-row', { hasText: 'Minutes of the harbour meeting' }).click()
    await expect
      .poll(() => page.locator('.reader-subject').textContent())
      .toBe('Minutes of the harbour meeting')
    await expect
      .poll(() => page.frameLocator('iframe.mail-frame').locator('body').textContent())
      .toContain('The pier opens on Thursday.')
    await expect.poll(() => inbox.locator('.folder-count').textContent()).toBe('2')
    const other = await otherClient(servers.dovecot, cert)
    try {
      await expect
        .poll(
          async () => {
            const lock = await other.getMailboxLock('INBOX')
            try {
              const seen: string[] = []
              for await (const m of other.fetch('1:*', { flags: true, envelope: true }))
                if (m.flags?.has('\\Seen')) seen.push(m.envelope?.subject ?? '')
              return seen.sort()
            } finally {
              lock.release()
            }
          },
          { timeout: 15_000 },
        )
        .toEqual(['Already read', 'Minutes of the harbour meeting'])

      // A new message arrives on the server: it shows up by itself (IDLE), unread.
      await other.append(
        'INBOX',
        buildMessage({
          subject: 'Ferry timetable changed',
          from: 'Port Office <port@example.test>',
          to: 'alice@example.test',
          date: new Date().toUTCString(),
        }),
      )
    } finally {
      await other.logout()
    }
    await expect
      .poll(() => page.locator('.message-row', { hasText: 'Ferry timetable changed' }).count(), {
        timeout: 15_000,
      })
      .toBe(1)
    await expect.poll(() => inbox.locator('.folder-count').textContent()).toBe('1 / 3')
    await keepScreenshot(page, 'account-new-message')
  })

  it("shows each account's sync state and lets the user act: offline then back, password refused then entered, certificate changed then trusted", async () => {
    const profileDir = tempDir()
    const page = await openApp(profileDir)
    const running = app.services as CairnServices
    const settings = { ...imapsSettings(servers.dovecot, cert, 'alice'), caFile: undefined }
    const { accountId } = await running.mailAccounts.accounts.add({
      email: 'alice@example.test',
      password: 'alice-password',
      imap: settings,
      smtp: settings,
      trust: { imap: cert.fingerprint256, smtp: cert.fingerprint256 },
      verify: false,
    })
    const status = page.locator('.account-status[data-account="alice@example.test"]')
    await expect.poll(() => status.getAttribute('data-status')).toBe('idle')

    // The server goes away: offline, with the sentence and a way to try again.
    await servers.dovecot.stop()
    await running.mailAccounts.sync.syncOnce(accountId).catch(() => undefined)
    await expect.poll(() => status.getAttribute('data-status')).toBe('offline')
    expect(await status.locator('.status-label').textContent()).toMatch(/^Offline/)
    expect(await status.locator('.status-detail').textContent()).toContain('127.0.0.1')
    await keepScreenshot(page, 'account-state-offline')
    await servers.dovecot.start()
    await status.getByRole('button', { name: 'Try now' }).click()
    await expect.poll(() => status.getAttribute('data-status'), { timeout: 15_000 }).toBe('idle')

    // The keychain lost the password: the state asks for it, and the one entered is used.
    accountSecrets(osKeychain(), running.profile.id).delete(accountId, 'password')
    await running.mailAccounts.sync.reset(accountId)
    await running.mailAccounts.sync.syncOnce(accountId).catch(() => undefined)
    await expect.poll(() => status.getAttribute('data-status')).toBe('auth_failed')
    expect(await status.locator('.status-label').textContent()).toBe('Sign-in refused')
    await status.getByLabel('New password for alice@example.test').fill('alice-password')
    await status.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => status.getAttribute('data-status'), { timeout: 15_000 }).toBe('idle')

    // The server's certificate changes: refused, the new fingerprint shown; trusted on request.
    const next = makeTestCertificate('replaced')
    servers.dovecot.setCertificate(next)
    await servers.dovecot.stop()
    await servers.dovecot.start()
    await running.mailAccounts.sync.reset(accountId)
    await running.mailAccounts.sync.syncOnce(accountId).catch(() => undefined)
    await expect.poll(() => status.getAttribute('data-status')).toBe('cert_changed')
    expect(await status.locator('.fingerprint').textContent()).toBe(
      formatFingerprint(next.fingerprint256),
    )
    await keepScreenshot(page, 'account-state-cert-changed')
    await status.getByRole('button', { name: 'Trust this certificate' }).click()
    await expect.poll(() => status.getAttribute('data-status'), { timeout: 15_000 }).toBe('idle')
    expect(running.mailAccounts.accounts.list()[0]?.imap.pinned).toBe(next.fingerprint256)

    // Settings › Accounts lists it with its servers and state, and offers to add another.
    await page.getByRole('button', { name: 'Accounts…' }).click()
    const dialog = page.getByRole('dialog', { name: 'Accounts' })
    expect(await dialog.locator('.account-line').textContent()).toContain(
      `127.0.0.1:${servers.dovecot.imapsPort}`,
    )
    expect(
      await dialog
        .locator('.account-status[data-account="alice@example.test"]')
        .getAttribute('data-status'),
    ).toBe('idle')
    await keepScreenshot(page, 'accounts-settings')
    await dialog.getByRole('button', { name: 'Add an account' }).click()
    expect(await dialog.locator('input[name="email"]').isVisible()).toBe(true)
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await dialog.getByRole('button', { name: 'Close' }).click()
    await expect.poll(() => dialog.count()).toBe(0)
  }, 180_000)
})

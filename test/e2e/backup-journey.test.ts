/**
 * The backup manager end to end, in Chromium through the browser build,
 * controls found by role and name only: (a) a fresh profile gets mail,
 * backups are set up in Settings (folder, daily schedule, key in the
 * keychain and written down), "Back up now" shows its progress and the
 * history shows the backup; (b) the profile folder is wiped (and the key
 * is not in this computer's keychain: a new computer), and the first-run
 * screen restores it, the user's actions counted.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKUP_LABELS } from '../../common/backup-labels'
import { deleteKeyFromKeychain, loadKeyFromKeychain } from '../../main/backup/custody'
import { osKeychain } from '../../main/keychain/keychain'
import {
  openBackupApp,
  confirmShownKey,
  readShownKey,
  type RunningApp,
} from '../support/backup-app'
import { keepScreenshot, launchBrowser } from '../support/browser'
import { useRealKeychain } from '../support/keyring'
import { buildMbox, buildMessage } from '../support/mail-fixtures'
import { messageCount } from '../support/backup-fixtures'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'

let browser: Browser
let keyring: { stop: () => void }
let app: RunningApp | undefined
const root = mkdtempSync(join(tmpdir(), 'cairn-backup-e2e-'))
const profileDir = join(root, 'profile')
const backupDir = join(root, 'Documents', 'Cairn Backups')
const userDataDir = join(root, 'user-data')
const env = { ...process.env, CAIRN_BACKUP_DIR: backupDir }
/** What journey (a) leaves for (b): the key as written down, and the mailbox's size. */
const fromA: { groups: string[]; fingerprint: string; messages: number } = {
  groups: [],
  fingerprint: '',
  messages: 0,
}

beforeAll(async () => {
  keyring = await useRealKeychain()
  browser = await launchBrowser()
})
afterAll(async () => {
  await app?.close().catch(() => undefined)
  await browser?.close()
  keyring?.stop()
  rmSync(root, { recursive: true, force: true })
})

function mailExport(): string {
  // Big enough (about 60 MB) that a backup takes long enough to show its progress.
  const messages = Array.from({ length: 40 }, (_, i) =>
    buildMessage({
      subject: `Quarterly figures ${i + 1}`,
      date: new Date(Date.UTC(2026, 0, i + 1, 9)).toUTCString(),
      text: `Figures for part ${i + 1}.`,
      attachments:
        i % 2 === 0
          ? [
              {
                filename: `figures-${i + 1}.bin`,
                contentType: 'application/octet-stream',
                content: randomBytes(3 * 1024 * 1024),
              },
            ]
          : [],
    }),
  )
  const file = join(root, 'export', 'Inbox.mbox')
  mkdirSync(join(root, 'export'), { recursive: true })
  writeFileSync(file, buildMbox(messages))
  return file
}

describe.sequential('backups in the app', () => {
  it('(a) fresh profile → import → set up backups in Settings → Back up now → history shows it; Full backup now with progress', async () => {
    const mbox = mailExport()
    app = await openBackupApp(browser, { profileDir, env, userDataDir })
    const { page } = app
    await expect
      .poll(() => page.getByRole('heading', { name: 'Welcome to Cairn' }).isVisible())
      .toBe(true)
    // The status bar is there from the start: backups are off.
    const bar = page.getByRole('contentinfo', { name: 'Backup status' })
    await expect.poll(() => bar.textContent()).toContain('Backups are off')

    await page.getByRole('button', { name: /Import mail/ }).click()
    await page.getByLabel(/mbox files, or folders/).fill(mbox)
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'Import finished' }).textContent(), {
        timeout: 60_000,
      })
      .toContain('40 messages imported')
    await page.getByRole('button', { name: 'Done' }).click()
    fromA.messages = 40

    // Settings → Backups: turn them on.
    await page.getByRole('button', { name: 'Settings', exact: true }).click()
    await expect
      .poll(() => page.getByRole('heading', { name: 'Turn on backups' }).isVisible())
      .toBe(true)
    const folder = page.getByRole('textbox', { name: 'Backup folder' })
    expect(await folder.inputValue()).toBe(backupDir) // the default folder is offered
    await folder.fill(backupDir)
    await page.getByRole('radio', { name: 'Daily' }).check()
    await page.getByLabel('Time of day').fill('02:00')
    expect(await page.getByRole('radio', { name: /This computer's keychain/ }).isChecked()).toBe(
      true,
    )
    await keepScreenshot(page, 'backup-settings-setup')
    await page.getByRole('button', { name: 'Turn on backups' }).click()

    // The key is in the keychain; the window says it is only there until written down.
    await expect
      .poll(() => page.getByRole('heading', { name: 'Backup key' }).isVisible())
      .toBe(true)
    const notices = page.getByRole('region', { name: 'Backup notices' })
    await expect.poll(() => notices.textContent()).toContain("only in this computer's keychain")
    await page.getByRole('button', { name: 'Write down the key' }).click()
    fromA.groups = await readShownKey(page)
    expect(fromA.groups.join('')).toMatch(/^[0-9a-f]{64}$/)
    await keepScreenshot(page, 'backup-key-write-down')
    // A wrong group is refused and saves nothing; the right ones are accepted.
    await confirmShownKey(
      page,
      fromA.groups.map((g) => (g === '0000' ? '1111' : '0000')),
    )
    await expect
      .poll(() => page.getByRole('alert').filter({ hasText: 'does not match' }).count())
      .toBe(1)
    await confirmShownKey(page, fromA.groups)
    const facts = page.getByRole('region', { name: 'Backup key' })
    await expect.poll(() => facts.textContent()).toContain('Yes, you checked it')
    await expect.poll(() => notices.isVisible()).toBe(false)

    const settings = JSON.parse(readFileSync(join(profileDir, 'settings.json'), 'utf8')) as {
      backup: { destination: string; schedule: unknown; custody: string; fingerprint: string }
      backupUi: { keyWrittenDown: { fingerprint: string } }
    }
    expect(settings.backup).toMatchObject({
      destination: backupDir,
      schedule: { kind: 'daily', time: '02:00' },
      custody: 'keychain',
    })
    expect(settings.backupUi.keyWrittenDown.fingerprint).toBe(settings.backup.fingerprint)
    fromA.fingerprint = settings.backup.fingerprint
    expect(loadKeyFromKeychain(osKeychain(), fromA.fingerprint)).not.toBeNull()
    // Never backed up and today's 02:00 is past: the schedule makes the first backup at once.
    await expect.poll(() => bar.textContent(), { timeout: 60_000 }).toContain('Backed up just now')
    // The status says when the next one runs: tomorrow 02:00, in words that depend on the time
    // of day the test runs ("in 1 hour" just after midnight, "in 1 day" just after 02:00).
    await expect
      .poll(() => bar.textContent())
      .toMatch(/Next: in (a few seconds|\d+ (minute|hour|day)s?)/)

    // Back up now: the history has it. Nothing changed since the first, so it is an
    // incremental link of a few kilobytes, made at once (its progress is shown below, on a full one).
    await page.getByRole('button', { name: BACKUP_LABELS.backUpNow }).click()
    const history = page.getByRole('table', { name: 'History' })
    await expect.poll(() => history.getByRole('row').count(), { timeout: 60_000 }).toBe(3) // header + two backups
    await expect.poll(() => bar.textContent()).toMatch(/ · \d+(\.\d+)? (B|KB) · /)
    expect(await history.getByRole('row').nth(1).textContent()).toContain('Incremental')
    expect(await history.getByRole('row').nth(2).textContent()).toContain('Full')
    const files = readdirSync(backupDir).filter((n) => n.endsWith('.tar.zst.age'))
    expect(files).toHaveLength(2)

    // Verify the newest: intact without the key, restorable with the keychain's.
    const newest = history.getByRole('row').nth(1)
    await newest.getByRole('button', { name: /^Verify the backup of / }).click()
    await expect.poll(() => history.getByRole('status').textContent()).toContain('Intact')
    await newest.getByRole('button', { name: /^Check that the backup of .* restores$/ }).click()
    await expect
      .poll(() => history.getByRole('status').textContent(), { timeout: 30_000 })
      .toContain('Restorable: it opens with your key and holds 40 messages')
    await keepScreenshot(page, 'backup-history')
    // Each row's Delete… is legible: its text and its background are not the same colour.
    const colours = await newest.getByRole('button', { name: /^Delete / }).evaluate((el) => {
      type View = { getComputedStyle(e: unknown): { color: string; backgroundColor: string } }
      const view = (el as unknown as { ownerDocument: { defaultView: View } }).ownerDocument
        .defaultView
      const style = view.getComputedStyle(el)
      return { text: style.color, background: style.backgroundColor }
    })
    expect(colours.text).not.toBe(colours.background)

    // "Full backup now" starts a new chain, with progress (bytes, speed, time left) in the
    // status bar; then the newest row is a full backup again.
    await page.getByRole('button', { name: 'Full backup now' }).click()
    const progress = page.getByRole('progressbar', { name: 'Backup progress' })
    await progress.waitFor({ state: 'visible', timeout: 10_000 })
    await expect.poll(() => bar.textContent(), { timeout: 10_000 }).toMatch(/MB of \d/)
    await keepScreenshot(page, 'backup-progress')
    await expect.poll(() => history.getByRole('row').count(), { timeout: 60_000 }).toBe(4)
    expect(await history.getByRole('row').nth(1).textContent()).toContain('Full')
    await app.close()
    app = undefined
  })

  it('(b) wiped profile, key not in this keychain → first run → "Restore from a backup" → the 64 digits → mail is back, in ≤ 4 actions', async () => {
    expect(fromA.groups).toHaveLength(16)
    // A new computer: no profile, and the keychain does not have the key.
    rmSync(profileDir, { recursive: true, force: true })
    deleteKeyFromKeychain(osKeychain(), fromA.fingerprint)
    rmSync(userDataDir, { recursive: true, force: true }) // nothing remembered either

    let actions = 0
    app = await openBackupApp(browser, { profileDir, env, userDataDir, goto: false })
    const { page } = app
    await page.goto(app.host.url) // 1: open the app
    actions++
    await page.getByRole('button', { name: BACKUP_LABELS.restoreFromBackup }).click() // 2
    actions++
    const dialog = page.getByRole('dialog', { name: BACKUP_LABELS.restoreFromBackup })
    // It found the backup in the default folder by itself, and says nothing here is replaced.
    await expect.poll(() => dialog.textContent()).toContain('nothing is replaced')
    await keepScreenshot(page, 'restore-wizard')
    await dialog.getByRole('textbox', { name: BACKUP_LABELS.keyField }).fill(fromA.groups.join('')) // 3
    actions++
    await expect.poll(() => dialog.textContent()).toContain('The key is complete.')
    await dialog.getByRole('button', { name: BACKUP_LABELS.restore, exact: true }).click() // 4
    actions++

    // The restored mailbox opens in the same window, without a reload.
    const list = page.getByRole('listbox', { name: 'Message list' })
    await expect
      .poll(() => list.getByRole('option').count(), { timeout: 60_000 })
      .toBeGreaterThan(0)
    await expect.poll(() => list.textContent()).toContain('Quarterly figures 40')
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'Restored the backup of' }).count())
      .toBe(1)
    expect(actions).toBeLessThanOrEqual(4)
    console.log(`[restore journey] user actions from a wiped machine to mail on screen: ${actions}`)
    await keepScreenshot(page, 'restored-mailbox')
    expect(messageCount(profileDir)).toBe(fromA.messages)

    // The restored profile backs up where it did, with its schedule; the typed key went into the keychain.
    const bar = page.getByRole('contentinfo', { name: 'Backup status' })
    await expect.poll(() => bar.textContent()).toMatch(/Backed up .*ago|Backed up just now/)
    expect(loadKeyFromKeychain(osKeychain(), fromA.fingerprint)).not.toBeNull()
    // The screens the recovery sheet names exist: Settings → Backups → "Restore from a backup".
    await page.getByRole('button', { name: BACKUP_LABELS.settings, exact: true }).click()
    await expect
      .poll(() =>
        page.getByRole('heading', { name: BACKUP_LABELS.backupsSection, exact: true }).isVisible(),
      )
      .toBe(true)
    expect(
      await page.getByRole('button', { name: BACKUP_LABELS.restoreFromBackup }).isVisible(),
    ).toBe(true)
    expect(existsSync(join(profileDir, 'mail.sqlite'))).toBe(true)
    await app.close()
    app = undefined
  })
})

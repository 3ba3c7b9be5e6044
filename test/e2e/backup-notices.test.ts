/**
 * (d) What the window says when backups go wrong: a backup folder that
 * disappeared gives a failure notice with its reason, and "Fix it" opens
 * the folder control; a schedule that has not succeeded for two periods
 * gives the overdue notice.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BACKUP_LABELS } from '../../common/backup-labels'
import { writeBackupSettings } from '../../main/backup/backup-settings'
import { openProfile } from '../../main/profile/profile'
import { openBackupApp, type RunningApp } from '../support/backup-app'
import { setUpBackupKey } from '../support/backup-fixtures'
import { keepScreenshot, launchBrowser } from '../support/browser'
import { makeProfile } from '../support/profiles'

let browser: Browser
let app: RunningApp | undefined
const roots: string[] = []

beforeAll(async () => {
  browser = await launchBrowser()
})
afterEach(async () => {
  await app?.close()
  app = undefined
})
afterAll(async () => {
  await browser?.close()
  for (const root of roots) rmSync(root, { recursive: true, force: true })
})

/** A profile with mail and a key kept by the user (no keychain), backing up daily to `folder`. */
async function profileBackingUpTo(folder: string, lastSuccessAt: string | null) {
  const root = mkdtempSync(join(tmpdir(), 'cairn-notices-e2e-'))
  roots.push(root)
  const { dir } = await makeProfile({ messages: 5, dir: join(root, 'profile') })
  setUpBackupKey(dir)
  const profile = openProfile(dir)
  writeBackupSettings(
    profile,
    (s) =>
      s && {
        ...s,
        destination: folder,
        schedule: { kind: 'daily', time: '02:00' },
        lastSuccessAt,
        lastAttemptAt: lastSuccessAt,
      },
  )
  profile.close()
  return {
    root,
    dir,
    env: { ...process.env, CAIRN_BACKUP_DIR: join(root, 'default') },
    userDataDir: join(root, 'user-data'),
  }
}

describe('backup notices in the window', () => {
  it('(d) a backup folder that disappeared: the failure notice with its reason; "Fix it" opens the folder control', async () => {
    const folder = join(tmpdir(), `cairn-drive-${process.pid}-${Date.now()}`)
    mkdirSync(folder)
    const setup = await profileBackingUpTo(folder, new Date().toISOString())
    app = await openBackupApp(browser, {
      profileDir: setup.dir,
      env: setup.env,
      userDataDir: setup.userDataDir,
    })
    const { page } = app
    const bar = page.getByRole('contentinfo', { name: 'Backup status' })
    await expect.poll(() => bar.textContent()).toContain('Backed up just now')
    // The drive is unplugged; the user backs up.
    rmSync(folder, { recursive: true })
    await page.getByRole('button', { name: BACKUP_LABELS.backUpNow }).click()
    const notices = page.getByRole('region', { name: 'Backup notices' })
    const failure = notices.getByRole('alert')
    await expect.poll(() => failure.textContent(), { timeout: 30_000 }).toContain('Backup failed')
    expect(await failure.textContent()).toContain(`The backup folder ${folder} does not exist`)
    await expect.poll(() => bar.textContent()).toContain('The last backup failed')
    await keepScreenshot(page, 'backup-failed-notice')

    await failure.getByRole('button', { name: 'Fix it' }).click()
    const folderField = page.getByRole('textbox', { name: 'Backup folder' })
    await expect
      .poll(() => folderField.evaluate((el) => el === el.ownerDocument.activeElement))
      .toBe(true)
    // Pointing it at a folder that works and backing up clears the notice.
    await folderField.fill(join(setup.root, 'new-drive'))
    await page.getByRole('button', { name: 'Save folder' }).click()
    await expect
      .poll(() =>
        page
          .getByRole('status')
          .filter({ hasText: 'Saved: new backups go to this folder.' })
          .count(),
      )
      .toBe(1)
    await page.getByRole('button', { name: BACKUP_LABELS.backUpNow }).click()
    await expect.poll(() => bar.textContent(), { timeout: 30_000 }).toContain('Backed up just now')
    await expect.poll(() => notices.count()).toBe(0)
  })

  it('(d) a schedule that has not succeeded for two days: the overdue notice (with the failure that causes it)', async () => {
    const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000).toISOString()
    const setup = await profileBackingUpTo(
      join(tmpdir(), `cairn-gone-${process.pid}-${Date.now()}`),
      threeDaysAgo,
    )
    app = await openBackupApp(browser, {
      profileDir: setup.dir,
      env: setup.env,
      userDataDir: setup.userDataDir,
    })
    const { page } = app
    const notices = page.getByRole('region', { name: 'Backup notices' })
    await expect
      .poll(() => notices.textContent(), { timeout: 30_000 })
      .toContain('Backups are overdue')
    expect(await notices.textContent()).toContain('The last successful backup was 3 days ago')
    // The catch-up run the schedule made at start failed: that is said too, with its reason.
    await expect.poll(() => notices.textContent(), { timeout: 30_000 }).toContain('does not exist')
    await keepScreenshot(page, 'backup-overdue-notice')
    await notices.getByRole('button', { name: 'Fix it' }).first().click()
    await expect
      .poll(() => page.getByRole('heading', { name: 'Where backups go' }).isVisible())
      .toBe(true)
  })
})

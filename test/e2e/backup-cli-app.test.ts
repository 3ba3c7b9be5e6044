/**
 * (e) The command line while the app has the profile open: reading
 * commands work without the profile's lock; `cairn backup` and `cairn
 * restore` are carried out by the running app (over its control socket)
 * and show its progress, and the window shows them too.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeBackupSettings } from '../../main/backup/backup-settings'
import { openProfile } from '../../main/profile/profile'
import { controlFilePath } from '../../main/profile/app-control'
import { openBackupApp, type RunningApp } from '../support/backup-app'
import { messageCount, setUpBackupKey } from '../support/backup-fixtures'
import { keepScreenshot, launchBrowser } from '../support/browser'
import { runCli } from '../support/cli'
import { buildMbox, buildMessage } from '../support/mail-fixtures'
import { makeProfile } from '../support/profiles'

let browser: Browser
let app: RunningApp | undefined
const root = mkdtempSync(join(tmpdir(), 'cairn-cli-app-e2e-'))

beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  await app?.close()
  await browser?.close()
  rmSync(root, { recursive: true, force: true })
})

describe('the command line while the app is open', () => {
  it(
    '(e) key show, schedule, list and verify work; cairn backup and cairn restore go through the app',
    { timeout: 120_000 },
    async () => {
      const backups = join(root, 'backups')
      const { dir } = await makeProfile({ messages: 12, dir: join(root, 'profile') })
      const { key, keyFile } = setUpBackupKey(dir)
      const profile = openProfile(dir)
      writeBackupSettings(profile, (s) => s && { ...s, destination: backups })
      profile.close()
      mkdirSync(backups)
      app = await openBackupApp(browser, {
        profileDir: dir,
        env: { ...process.env, CAIRN_BACKUP_DIR: backups },
        userDataDir: join(root, 'user-data'),
      })
      const { page } = app
      // The control file is private: only the profile's owner can read the token.
      expect(statSync(controlFilePath(dir)).mode & 0o777).toBe(0o600)

      const shown = await runCli(['key', 'show', '--profile', dir])
      expect(shown.stderr).toBe('')
      expect(shown.code).toBe(0)
      expect(shown.stdout).toContain(`Fingerprint: ${key.fingerprint}`)
      const schedule = await runCli(['schedule', '--profile', dir])
      expect(schedule.code).toBe(0)
      expect(schedule.stdout).toContain(`Backup folder: ${backups}`)
      // A change needs the lock: it is refused, naming the app and what to do.
      const change = await runCli(['schedule', '--profile', dir, '--daily', '03:00'])
      expect(change.code).toBe(1)
      expect(change.stderr).toMatch(
        /The Cairn app has this profile open\. Make this change in the app \(Settings → Backups\)/,
      )

      // cairn backup: the app makes it; the window shows it.
      const bar = page.getByRole('contentinfo', { name: 'Backup status' })
      const backedUp = await runCli(['backup', '--profile', dir])
      expect(backedUp.stderr).toContain('The Cairn app has this profile open; it makes the backup.')
      expect(backedUp.code).toBe(0)
      expect(backedUp.stdout).toMatch(/^Backed up \d+ files .* to .*cairn-backup-.*\.tar\.zst\.age/)
      await expect
        .poll(() => bar.textContent(), { timeout: 30_000 })
        .toContain('Backed up just now')
      const files = readdirSync(backups).filter((n) => n.endsWith('.tar.zst.age'))
      expect(files).toHaveLength(1)
      const file = join(backups, files[0] as string)

      const listed = await runCli(['list', '--to', backups])
      expect(listed.code).toBe(0)
      expect(listed.stdout).toContain(files[0])
      const verified = await runCli(['verify', file, '--key-file', keyFile])
      expect(verified.code).toBe(0)
      expect(verified.stdout).toMatch(/^OK: .* 12 messages/)

      // More mail arrives; then cairn restore (through the app) puts the backup back in the open window.
      const mbox = join(root, 'more.mbox')
      writeFileSync(
        mbox,
        buildMbox([
          buildMessage({ subject: 'After the backup' }),
          buildMessage({ subject: 'Also after' }),
        ]),
      )
      const mail = app.host.context.mail
      const imported = new Promise<void>((resolve) => {
        const off = mail.events.on('importFinished', () => (off(), resolve()))
      })
      mail.startImport([mbox])
      await imported
      expect(messageCount(dir)).toBe(14)
      const restored = await runCli([
        'restore',
        file,
        '--profile',
        dir,
        '--key-file',
        keyFile,
        '--force',
      ])
      expect(restored.stderr).toContain(
        'The Cairn app has this profile open; it carries out the restore.',
      )
      expect(restored.code).toBe(0)
      expect(restored.stdout).toMatch(
        /^The app restored \d+ files from the backup of .* the mailbox now holds 12 messages/,
      )
      await expect
        .poll(
          () => page.getByRole('status').filter({ hasText: 'Restored the backup of' }).count(),
          { timeout: 30_000 },
        )
        .toBe(1)
      expect(messageCount(dir)).toBe(12)
      await keepScreenshot(page, 'cli-restore-through-app')
      // The app still answers the command line after the swap (a new control file in the new profile folder).
      const again = await runCli(['key', 'show', '--profile', dir])
      expect(again.code).toBe(0)
      expect(statSync(controlFilePath(dir)).mode & 0o777).toBe(0o600)
    },
  )
})

/**
 * The destination control end to end, in Chromium through the browser
 * build, controls found by role and name only: in Settings → Backups the
 * user chooses SFTP, types the server and key file, sees the server's host
 * key and trusts it, the destination is added (tested first), its own
 * "Test connection" says the connection works, "Back up here now" puts a
 * backup on the real sshd, and its status shows the success.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeBackupSettings } from '../../main/backup/backup-settings'
import { openProfile } from '../../main/profile/profile'
import { openBackupApp, type RunningApp } from '../support/backup-app'
import { setUpBackupKey } from '../support/backup-fixtures'
import { keepScreenshot, launchBrowser } from '../support/browser'
import { useRealKeychain } from '../support/keyring'
import { makeProfile } from '../support/profiles'
import { startSshd, type SshServer } from '../support/sshd'

let browser: Browser
let keyring: { stop: () => void }
let sshd: SshServer
let app: RunningApp | undefined
const root = mkdtempSync(join(tmpdir(), 'cairn-destinations-e2e-'))

beforeAll(async () => {
  keyring = await useRealKeychain()
  sshd = await startSshd()
  browser = await launchBrowser()
})
afterAll(async () => {
  await app?.close().catch(() => undefined)
  await browser?.close()
  await sshd?.stop()
  keyring?.stop()
  rmSync(root, { recursive: true, force: true })
})

describe('backup destinations in Settings', () => {
  it('adds an SFTP destination (host key shown and trusted), tests it, backs up to it and shows its status', async () => {
    const { dir } = await makeProfile({ messages: 5, dir: join(root, 'profile') })
    setUpBackupKey(dir)
    const localFolder = join(root, 'local-backups')
    mkdirSync(localFolder)
    const profile = openProfile(dir)
    writeBackupSettings(profile, (s) => s && { ...s, destination: localFolder })
    profile.close()
    const keyFile = join(root, 'id_ed25519')
    writeFileSync(keyFile, sshd.userKey, { mode: 0o600 })
    const remote = join(sshd.root, 'from-settings')
    mkdirSync(remote)

    app = await openBackupApp(browser, {
      profileDir: dir,
      env: { ...process.env, CAIRN_BACKUP_DIR: join(root, 'default') },
      userDataDir: join(root, 'user-data'),
    })
    const { page } = app
    await page.getByRole('button', { name: 'Settings', exact: true }).click()
    const section = page.getByRole('region', { name: 'Where backups go' })
    await section.getByRole('combobox', { name: 'Kind of destination' }).selectOption('sftp')
    await section.getByRole('textbox', { name: 'Destination name' }).fill('nas')
    await section
      .getByRole('textbox', { name: 'Server and folder' })
      .fill(`${sshd.user}@127.0.0.1:${sshd.port}${remote}`)
    await section.getByRole('textbox', { name: 'Key file', exact: true }).fill(keyFile)
    await section.getByRole('button', { name: 'Test connection and add' }).click()

    // The server is new: its host key is shown, nothing is added until the user trusts it.
    const hostKey = section.getByRole('group', { name: 'Server host key' })
    await expect.poll(() => hostKey.textContent()).toContain(sshd.hostKeyFingerprint)
    await expect.poll(() => section.getByRole('alert').textContent()).toMatch(/not known yet/)
    expect(readFileSync(join(dir, 'settings.json'), 'utf8')).not.toContain('"nas"')
    await hostKey.getByRole('button', { name: 'Trust this server' }).click()
    await expect
      .poll(() => section.getByRole('status').first().textContent())
      .toMatch(/Connection works .*The destination is added/)

    // It is listed with its own status and controls.
    const list = section.getByRole('list', { name: 'Backup destinations' })
    const nas = list.getByRole('listitem', { name: /^nas/ })
    await expect.poll(() => nas.textContent()).toMatch(/none yet/)
    await nas.getByRole('button', { name: 'Test connection: nas' }).click()
    await expect.poll(() => nas.getByRole('status').textContent()).toMatch(/^Connection works: /)

    await nas.getByRole('button', { name: 'Back up here now: nas' }).click()
    await expect
      .poll(() => nas.textContent(), { timeout: 60_000 })
      .toMatch(/Last successful backup(just now|.* ago)/)
    expect(await nas.textContent()).toMatch(/Last errornone/)
    expect(readdirSync(remote).filter((f) => f.endsWith('.tar.zst.age'))).toHaveLength(1)
    // Only the destination asked for ran.
    expect(readdirSync(localFolder).filter((f) => f.endsWith('.tar.zst.age'))).toHaveLength(0)
    await keepScreenshot(page, 'backup-destinations')
  })
})

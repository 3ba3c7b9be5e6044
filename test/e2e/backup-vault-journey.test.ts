/**
 * (c) Backups whose key is behind a vault password, against a running
 * Backup Key Vault (the real server, SQLite, development sealing key): set
 * up in Settings (address, password twice, strength meter), back up, wipe
 * the profile (and the keychain's copy of the key), restore from the
 * first-run screen with the password, counting the user's actions. The
 * vault's answers to a wrong password, a vault that is down and a
 * destroyed record reach the wizard as messages, and change nothing.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKUP_LABELS } from '../../common/backup-labels'
import { deleteKeyFromKeychain } from '../../main/backup/custody'
import { osKeychain } from '../../main/keychain/keychain'
import { VaultClient } from '../../main/vault/client'
import { messageCount } from '../support/backup-fixtures'
import { openBackupApp, type RunningApp } from '../support/backup-app'
import { keepScreenshot, launchBrowser } from '../support/browser'
import { useRealKeychain } from '../support/keyring'
import { makeProfile } from '../support/profiles'
import { devNodeEnv, startVaultNode, type VaultNode } from '../support/vault'

let browser: Browser
let keyring: { stop: () => void }
let vault: VaultNode
let app: RunningApp | undefined
const root = mkdtempSync(join(tmpdir(), 'cairn-vault-e2e-'))
const profileDir = join(root, 'profile')
const backupDir = join(root, 'Documents', 'Cairn Backups')
const userDataDir = join(root, 'user-data')
const password = 'violet tractor sleeps under four mango clouds'
let env: NodeJS.ProcessEnv
const state = { fingerprint: '', recordId: '', messages: 0 }

beforeAll(async () => {
  keyring = await useRealKeychain()
  browser = await launchBrowser()
  vault = await startVaultNode(devNodeEnv(mkdtempSync(join(tmpdir(), 'cairn-vault-data-'))))
  env = { ...process.env, CAIRN_BACKUP_DIR: backupDir, CAIRN_VAULT_URL: vault.url }
})
afterAll(async () => {
  await app?.close().catch(() => undefined)
  await browser?.close()
  await vault?.stop()
  keyring?.stop()
  rmSync(root, { recursive: true, force: true })
})

function snapshot(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true }).map(String).sort()
  } catch {
    return []
  }
}

describe.sequential('backups behind a vault password', () => {
  it(
    '(c1) set up with a vault password: strength meter, plain words, the record id; then a backup',
    { timeout: 120_000 },
    async () => {
      state.messages = 25
      await makeProfile({ messages: state.messages, dir: profileDir })
      app = await openBackupApp(browser, { profileDir, env, userDataDir })
      const { page } = app
      await page.getByRole('button', { name: 'Settings', exact: true }).click()
      await page.getByRole('radio', { name: /Behind a password, in a Backup Key Vault/ }).check()
      await page.getByRole('button', { name: 'Turn on backups' }).click()

      const form = page.getByRole('group', { name: 'Keep the key behind a vault password' })
      expect(await form.getByRole('textbox', { name: 'Vault address' }).inputValue()).toBe(
        vault.url,
      )
      expect(await form.textContent()).toMatch(
        /after the 10th wrong password the vault destroys your key for good/i,
      )
      expect(await form.textContent()).toMatch(/15 minutes, then twice as long/)
      const field = form.getByLabel('Vault password', { exact: true })
      await field.fill('password123')
      await expect.poll(() => form.getByRole('alert').textContent()).toMatch(/too easy to guess/)
      expect(
        await form.getByRole('button', { name: 'Keep the key behind this password' }).isDisabled(),
      ).toBe(true)
      await field.fill(password)
      await form.getByLabel('Type the password again').fill(password)
      await expect.poll(() => form.textContent()).toMatch(/Strong|Very strong/)
      const meter = form.getByRole('meter', { name: 'Password strength' })
      expect(
        await meter.evaluate((m) => (m as unknown as { value: number }).value),
      ).toBeGreaterThanOrEqual(3)
      await keepScreenshot(page, 'backup-vault-setup')
      await form.getByRole('button', { name: 'Keep the key behind this password' }).click()
      const done = page.getByRole('group', { name: 'Your key is behind your vault password' })
      await expect
        .poll(() => done.textContent(), { timeout: 30_000 })
        .toMatch(/Vault record [0-9a-f]{32}/)
      state.recordId =
        /Vault record ([0-9a-f]{32})/.exec((await done.textContent()) ?? '')?.[1] ?? ''
      await done.getByRole('button', { name: 'Done' }).click()

      const keySection = page.getByRole('region', { name: 'Backup key' })
      await expect.poll(() => keySection.textContent()).toContain('Behind your vault password')
      state.fingerprint =
        /Fingerprint([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})/.exec(
          (await keySection.textContent()) ?? '',
        )?.[1] ?? ''
      expect(state.fingerprint).toMatch(/^[0-9a-f-]{14}$/)

      // The schedule ran the first backup at once (never backed up before); or back up now.
      const bar = page.getByRole('contentinfo', { name: 'Backup status' })
      await keepScreenshot(page, 'backup-vault-done')
      await expect
        .poll(() => bar.textContent(), { timeout: 30_000 })
        .toContain('Backed up just now')
      const sidecars = readdirSync(backupDir).filter((n) => n.endsWith('.age.json'))
      expect(sidecars.length).toBeGreaterThan(0)
      await app.close()
      app = undefined
    },
  )

  it('(c2) wrong password, vault down: clear messages, nothing changed', async () => {
    rmSync(profileDir, { recursive: true, force: true })
    deleteKeyFromKeychain(osKeychain(), state.fingerprint)
    rmSync(userDataDir, { recursive: true, force: true })
    app = await openBackupApp(browser, { profileDir, env, userDataDir })
    const { page } = app
    await page.getByRole('button', { name: BACKUP_LABELS.restoreFromBackup }).click()
    const dialog = page.getByRole('dialog', { name: BACKUP_LABELS.restoreFromBackup })
    // The backup names its vault record: the password is asked for, at the configured vault.
    await expect.poll(() => dialog.textContent()).toContain(`Vault record ${state.recordId}`)
    const before = snapshot(root)
    await dialog
      .getByLabel(BACKUP_LABELS.vaultPasswordField, { exact: true })
      .fill('not my password at all')
    await dialog.getByRole('button', { name: BACKUP_LABELS.restore, exact: true }).click()
    await expect
      .poll(() => dialog.getByRole('alert').textContent(), { timeout: 30_000 })
      .toMatch(/^Wrong password .* Each try counts/)
    // A vault that does not answer.
    await dialog.getByRole('textbox', { name: 'Vault address' }).fill('http://127.0.0.1:9')
    await dialog.getByLabel(BACKUP_LABELS.vaultPasswordField, { exact: true }).fill(password)
    await dialog.getByRole('button', { name: BACKUP_LABELS.restore, exact: true }).click()
    await expect
      .poll(() => dialog.getByRole('alert').textContent(), { timeout: 30_000 })
      .toMatch(/vault/i)
    expect(await dialog.getByRole('alert').textContent()).not.toMatch(/ECONNREFUSED$/)
    await keepScreenshot(page, 'restore-vault-error')
    expect(snapshot(root).filter((p) => !p.startsWith('profile'))).toEqual(
      before.filter((p) => !p.startsWith('profile')),
    )
    expect(messageCount(profileDir)).toBe(0)
    await app.close()
    app = undefined
  })

  it('(c3) wiped machine → first run → "Restore from a backup" → vault password → "Restore": mail back in ≤ 4 actions', async () => {
    rmSync(profileDir, { recursive: true, force: true })
    let actions = 0
    app = await openBackupApp(browser, { profileDir, env, userDataDir, goto: false })
    const { page } = app
    await page.goto(app.host.url) // 1
    actions++
    await page.getByRole('button', { name: BACKUP_LABELS.restoreFromBackup }).click() // 2
    actions++
    const dialog = page.getByRole('dialog', { name: BACKUP_LABELS.restoreFromBackup })
    await dialog.getByLabel(BACKUP_LABELS.vaultPasswordField, { exact: true }).fill(password) // 3
    actions++
    await dialog.getByRole('button', { name: BACKUP_LABELS.restore, exact: true }).click() // 4
    actions++
    const list = page.getByRole('listbox', { name: 'Message list' })
    await expect
      .poll(() => list.getByRole('option').count(), { timeout: 60_000 })
      .toBeGreaterThan(0)
    expect(actions).toBeLessThanOrEqual(4)
    console.log(
      `[vault restore journey] user actions from a wiped machine to mail on screen: ${actions}`,
    )
    await keepScreenshot(page, 'restored-from-vault')
    expect(messageCount(profileDir)).toBe(state.messages)
    // Still kept behind the vault, and the key is back in this computer's keychain for status checks.
    await page.getByRole('button', { name: 'Settings', exact: true }).click()
    await expect
      .poll(() => page.getByRole('region', { name: 'Backup key' }).textContent())
      .toContain(state.recordId)
    await app.close()
    app = undefined
  })

  it('(c4) a destroyed vault record is said so, and the 64-digit key is offered instead', async () => {
    // Someone burns the record with wrong passwords (guess spacing is off on this test vault).
    const client = new VaultClient({ url: vault.url })
    for (let i = 0; i < 10; i++)
      await client.recover(state.recordId, `wrong ${i}`).catch(() => undefined)
    rmSync(profileDir, { recursive: true, force: true })
    deleteKeyFromKeychain(osKeychain(), state.fingerprint)
    app = await openBackupApp(browser, { profileDir, env, userDataDir })
    const { page } = app
    await page.getByRole('button', { name: BACKUP_LABELS.restoreFromBackup }).click()
    const dialog = page.getByRole('dialog', { name: BACKUP_LABELS.restoreFromBackup })
    await dialog.getByLabel(BACKUP_LABELS.vaultPasswordField, { exact: true }).fill(password)
    await dialog.getByRole('button', { name: BACKUP_LABELS.restore, exact: true }).click()
    await expect
      .poll(() => dialog.getByRole('alert').textContent(), { timeout: 30_000 })
      .toMatch(/destroyed after too many wrong passwords/)
    // The way left is offered at once: the 64-digit key.
    expect(await dialog.getByRole('radio', { name: 'My 64-digit key' }).isChecked()).toBe(true)
    expect(await dialog.getByRole('textbox', { name: BACKUP_LABELS.keyField }).isVisible()).toBe(
      true,
    )
    expect(messageCount(profileDir)).toBe(0)
    await app.close()
    app = undefined
  })
})

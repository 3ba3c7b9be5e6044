import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { expect } from 'vitest'
import { ProfileSession } from '../../main/ipc/profile-session'
import { startWebHost, type WebHost } from '../../main/ipc/web-server'
import { openServices } from '../../main/services'

export const RENDERER_DIR = join(import.meta.dirname, '..', '..', 'out', 'renderer')

export interface RunningApp {
  session: ProfileSession
  host: WebHost
  page: Page
  /** Script errors and failed loads in the page (a test fails on any). */
  pageErrors: string[]
  close(): Promise<void>
}

/**
 * The app as a user meets it in the browser build: a profile session (which
 * a restore closes and opens again), the host serving the UI and the
 * contract (and `cairn backup`/`restore` over its control socket), and a
 * page at its address. `env` is the environment the backup screens read
 * (CAIRN_BACKUP_DIR, CAIRN_VAULT_URL); `userDataDir` where the last backup
 * folders are remembered.
 */
export async function openBackupApp(
  browser: Browser,
  options: { profileDir: string; env: NodeJS.ProcessEnv; userDataDir: string; goto?: boolean },
): Promise<RunningApp> {
  const session = new ProfileSession(options.profileDir, (dir) => openServices(dir))
  const host = await startWebHost({
    session,
    rendererDir: RENDERER_DIR,
    host: { env: options.env, userDataDir: options.userDataDir },
  })
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  page.setDefaultTimeout(20_000)
  const pageErrors: string[] = []
  page.on('pageerror', (error) => pageErrors.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text())
  })
  if (options.goto !== false) await page.goto(host.url)
  return {
    session,
    host,
    page,
    pageErrors,
    async close() {
      await page.close()
      await host.close()
      await session.close()
      expect(pageErrors, pageErrors.join('\n')).toEqual([])
    },
  }
}

/** The 64 digits shown in the key's 16 numbered groups. */
export async function readShownKey(page: Page): Promise<string[]> {
  const items = page
    .getByRole('list', { name: 'Backup key, 16 groups of 4 digits' })
    .getByRole('listitem')
  await expect.poll(() => items.count()).toBe(16)
  const texts = await items.allInnerTexts()
  return texts.map((t) => (/([0-9a-f]{4})\s*$/.exec(t.trim())?.[1] ?? '') as string)
}

/** Type back the groups the key check asks for. */
export async function confirmShownKey(page: Page, groups: string[]): Promise<void> {
  const fields = page.getByRole('textbox', { name: /^Group \d+ of the key$/ })
  await expect.poll(() => fields.count()).toBe(2)
  for (let i = 0; i < 2; i++) {
    const field = fields.nth(i)
    const label = (await field.getAttribute('aria-label')) ?? ''
    const name =
      label || ((await field.evaluate((el) => el.closest('label')?.textContent ?? '')) as string)
    const group = Number(/Group (\d+)/.exec(name)?.[1])
    await field.fill(groups[group - 1] as string)
  }
  await page.getByRole('button', { name: 'Confirm I have the key' }).click()
}

import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startWebHost, type WebHost } from '../../main/ipc/web-server'
import { openServices, type CairnServices } from '../../main/services'
import { keepScreenshot, launchBrowser } from '../support/browser'
import { tempDir } from '../support/temp'

const rendererDir = join(import.meta.dirname, '..', '..', 'out', 'renderer')
let browser: Browser
let services: CairnServices | undefined
let host: WebHost | undefined

beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
})
afterEach(async () => {
  await host?.close()
  await services?.close()
  host = services = undefined
})

describe('importing a folder with no mail in the browser build', () => {
  it('says "0 messages imported" with the reason, and leaves no folder behind', async () => {
    const source = tempDir()
    writeFileSync(join(source, 'notes.txt'), 'shopping list\n')
    mkdirSync(join(source, 'Old.sbd'))
    services = openServices(tempDir())
    const before = (await services.mail.listFolders()).map((f) => f.path)
    host = await startWebHost({ services, rendererDir })
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    page.setDefaultTimeout(15_000)
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await page.goto(host.url)

    await page.getByRole('button', { name: /Import mail/ }).click()
    await page.getByLabel(/mbox files, or folders/).fill(source)
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    const summary = page.getByRole('status').filter({ hasText: 'Import finished' })
    await expect
      .poll(() => summary.textContent(), { timeout: 20_000 })
      .toContain('0 messages imported')
    expect(await summary.textContent()).toContain(
      'No mail was found there: Cairn imports mbox files (they start with a "From " line) and .eml files, or folders holding them.',
    )
    await keepScreenshot(page, 'import-nothing-reason')
    expect((await services.mail.listFolders()).map((f) => f.path)).toEqual(before)
    expect(pageErrors).toEqual([])
  })
})

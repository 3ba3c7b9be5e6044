import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect, onTestFailed } from 'vitest'
import { startWebHost, type WebHost } from '../../main/ipc/web-server'
import { openServices, type CairnServices } from '../../main/services'
import { keepScreenshot, launchBrowser } from './browser'
import { tempDir } from './temp'

const RENDERER_DIR = join(import.meta.dirname, '..', '..', 'out', 'renderer')

export interface OpenOptions {
  viewport?: { width: number; height: number }
  /** Playwright's default wait for each action, so a step fails with its own message first. */
  timeout?: number
  /** Console errors that are the behaviour under test (a sandboxed frame refusing scripts). */
  expectedErrors?: RegExp[]
  /** Keep a screenshot under this name when the test fails. */
  screenshotOnFailure?: string
}

export interface AppPages {
  /** The file's Chromium. */
  readonly browser: Browser
  /** The services the current test's app was opened on, if any. */
  readonly services: CairnServices | undefined
  /** The web host serving the current test's app, if any (its context is the desktop host's stand-in). */
  readonly host: WebHost | undefined
  /** Serve `services` through the browser build and open the app in a fresh page. */
  open(services: CairnServices, options?: OpenOptions): Promise<Page>
}

/**
 * The harness of the end-to-end tests in the browser build: one Chromium
 * for the file; per test, the app served over the services it is given,
 * in a fresh page whose script errors and console errors fail the test.
 * After each test the web host and the services are closed.
 */
export function useAppPages(): AppPages {
  let browser: Browser | undefined
  let services: CairnServices | undefined
  let host: WebHost | undefined
  let pageErrors: string[] = []
  beforeAll(async () => {
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
  })
  afterEach(async () => {
    const seen = pageErrors
    pageErrors = []
    await host?.close()
    await services?.close()
    host = services = undefined
    expect(seen, seen.join('\n')).toEqual([])
  })
  return {
    get browser() {
      if (!browser) throw new Error('the browser starts in beforeAll')
      return browser
    },
    get services() {
      return services
    },
    get host() {
      return host
    },
    async open(opened, options = {}) {
      if (!browser) throw new Error('the browser starts in beforeAll')
      services = opened
      host = await startWebHost({ services: opened, rendererDir: RENDERER_DIR })
      const page = await browser.newPage({
        viewport: options.viewport ?? { width: 1280, height: 800 },
      })
      page.setDefaultTimeout(options.timeout ?? 20_000)
      pageErrors = []
      page.on('pageerror', (error) => pageErrors.push(error.message))
      page.on('console', (message) => {
        if (message.type() !== 'error') return
        if (options.expectedErrors?.some((pattern) => pattern.test(message.text()))) return
        pageErrors.push(message.text())
      })
      const name = options.screenshotOnFailure
      if (name)
        onTestFailed(async () => {
          await keepScreenshot(page, name).catch(() => undefined)
        })
      await page.goto(host.url)
      return page
    },
  }
}

/** Services over a new profile with these mbox or eml files imported through the app's import. */
export async function profileWithImport(files: string[]): Promise<CairnServices> {
  const services = openServices(tempDir())
  const { jobId } = services.mail.startImport(files)
  await new Promise<void>((resolve) => {
    const off = services.mail.events.on(
      'importFinished',
      (p) => p.jobId === jobId && (off(), resolve()),
    )
  })
  return services
}

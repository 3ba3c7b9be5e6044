/**
 * What any page in the desktop app may do beyond rendering, decided here
 * without importing Electron (main/app applies it to every webContents and
 * session; tests apply it to stand-ins):
 * - no navigation away from the app: the main frame stays on the app page,
 *   a subframe may only show a mail frame; web links from the app's own UI
 *   go to the system browser after a scheme check;
 * - no new windows: a link opened in a new window (every link in a mail)
 *   goes to the system browser after the same check;
 * - no <webview>, no web permissions (camera, notifications, …), no
 *   downloads started by a page, no spellchecker (it downloads dictionaries).
 */
import { isSafeExternalUrl } from '../shared/external-links.js'
import { APP_ORIGIN, isAppPage, isAppUrl } from './app-protocol.js'
import type { Log } from './router.js'

export interface NavigationDetails {
  readonly url: string
  readonly isMainFrame: boolean
  preventDefault(): void
}

/** The parts of Electron's WebContents the guards use. */
export interface GuardableContents {
  on(event: 'will-frame-navigate', listener: (details: NavigationDetails) => void): unknown
  on(event: 'will-navigate', listener: (details: NavigationDetails) => void): unknown
  on(event: 'will-redirect', listener: (details: NavigationDetails) => void): unknown
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): unknown
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void
}

/** The parts of Electron's Session the lock-down uses. */
export interface LockableSession {
  setPermissionRequestHandler(
    handler: (contents: unknown, permission: string, callback: (granted: boolean) => void) => void,
  ): void
  setPermissionCheckHandler(handler: () => boolean): void
  setDevicePermissionHandler(handler: () => boolean): void
  setSpellCheckerEnabled(enabled: boolean): void
  on(event: 'will-download', listener: (event: { preventDefault(): void }) => void): unknown
}

export interface ShellPolicy {
  /** Hand a URL to the system (browser, mail composer); called only for safe URLs. */
  openExternal(url: string): void
  origin?: string
  log?: Log
}

/** Where a frame may go: its own app page for the main frame, a mail frame for a subframe. */
export function mayNavigate(
  url: string,
  isMainFrame: boolean,
  origin: string = APP_ORIGIN,
): boolean {
  if (isMainFrame) return isAppPage(url, origin)
  return isAppUrl(url, origin) && new URL(url).pathname.startsWith('/mail/')
}

/** Guard one webContents (every one the app creates: windows, frames' hosts, devtools). */
export function guardWebContents(contents: GuardableContents, policy: ShellPolicy): void {
  const origin = policy.origin ?? APP_ORIGIN
  const log = policy.log ?? ((line: string) => console.warn(line))
  const toSystem = (url: string) => {
    if (isSafeExternalUrl(url)) policy.openExternal(url)
    else log(`[security] refused to open ${JSON.stringify(url.slice(0, 200))}`)
  }
  contents.on('will-frame-navigate', (details) => {
    if (mayNavigate(details.url, details.isMainFrame, origin)) return
    details.preventDefault()
    // A link the user followed in the app's own UI opens in the browser; a
    // subframe (a mail) that tries to navigate itself just stays where it is.
    if (details.isMainFrame) toSystem(details.url)
    else
      log(`[security] refused a frame navigation to ${JSON.stringify(details.url.slice(0, 200))}`)
  })
  // The main frame again, in case an Electron version reports it only here.
  contents.on('will-navigate', (details) => {
    if (!mayNavigate(details.url, true, origin)) details.preventDefault()
  })
  contents.on('will-redirect', (details) => {
    if (!mayNavigate(details.url, details.isMainFrame, origin)) details.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    toSystem(url)
    return { action: 'deny' }
  })
}

/** Deny every permission request and check, device access, page-started downloads; spellcheck off. */
export function lockDownSession(session: LockableSession, log: Log = (l) => console.warn(l)): void {
  session.setPermissionRequestHandler((_contents, permission, callback) => {
    log(`[security] denied permission ${JSON.stringify(String(permission))}`)
    callback(false)
  })
  session.setPermissionCheckHandler(() => false)
  session.setDevicePermissionHandler(() => false)
  session.setSpellCheckerEnabled(false)
  session.on('will-download', (event) => event.preventDefault())
}

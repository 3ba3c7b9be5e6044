import { composeQuery } from '../../common/compose-page.js'

/**
 * The desktop app serves its UI from its own scheme, app://cairn/, through
 * the same request handler as the browser build's host (ui-handler.ts),
 * instead of file:// (which would give every page the file system's origin
 * and no response headers, so no CSP header and no per-frame policy).
 */
export const APP_SCHEME = 'app'
export const APP_ORIGIN = 'app://cairn'
export const APP_PAGE_URL = `${APP_ORIGIN}/index.html`

/**
 * Registered before the app is ready: standard (relative URLs, an origin),
 * secure (like https: to the web platform), fetch and CORS support for ES
 * module scripts, V8 code cache. Not bypassCSP, not service workers.
 */
export const APP_SCHEME_PRIVILEGES = {
  standard: true,
  secure: true,
  supportFetchAPI: true,
  corsEnabled: true,
  codeCache: true,
} as const

/** Whether `url` is the app's page itself (the only page whose main frame may call the contract). */
export function isAppPage(url: string, origin: string = APP_ORIGIN): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  return (
    `${parsed.protocol}//${parsed.host}` === origin &&
    (parsed.pathname === '/' || parsed.pathname === '/index.html') &&
    parsed.username === '' &&
    parsed.password === ''
  )
}

/** Whether `url` is any address the app itself serves. */
export function isAppUrl(url: string, origin: string = APP_ORIGIN): boolean {
  try {
    const parsed = new URL(url)
    return `${parsed.protocol}//${parsed.host}` === origin
  } catch {
    return false
  }
}

/** The app page showing only the composer of one draft (a compose window). */
export function composePageUrl(draftId: number, page: string = APP_PAGE_URL): string {
  return `${page}${composeQuery(draftId)}`
}

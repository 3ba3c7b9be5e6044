const ALLOWED_SCHEMES = new Set(['http:', 'https:', 'mailto:'])

/**
 * Whether a link from the app or from a mail may be handed to the system
 * (browser, mail composer). Only web and mailto links, with no credentials
 * hidden in them; file:, javascript:, custom protocol handlers and the like
 * never leave the app.
 */
export function isSafeExternalUrl(candidate: string): boolean {
  let url: URL
  try {
    url = new URL(candidate)
  } catch {
    return false
  }
  if (!ALLOWED_SCHEMES.has(url.protocol)) return false
  if (url.protocol === 'mailto:') return url.pathname.length > 0
  return url.hostname.length > 0 && url.username === '' && url.password === ''
}

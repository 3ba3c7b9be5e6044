/**
 * The Content-Security-Policies the hosts send as response headers. The
 * app's pages load nothing remote; a mail is shown in a frame with its own,
 * narrower policy, so allowing a mail's remote images never widens the app's.
 */

/** The app's own pages (served by the app: protocol and by the browser build's host). */
export function appCsp(): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    // The browser build's WebSocket ('self' covers ws: on the same host and port).
    "connect-src 'self'",
    "frame-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "object-src 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/**
 * One message's frame: no scripts at all, images only from this view's own
 * inline-image path (and data:), remote images, styles and fonts only when
 * the user allowed them, embeddable only by the app, and sandboxed even if
 * opened on its own (the iframe's sandbox attribute says the same).
 */
export function mailFrameCsp(options: {
  origin: string
  viewId: string
  allowRemote: boolean
}): string {
  const remote = options.allowRemote ? ' https: http:' : ''
  const inline = `${options.origin}/mail/${options.viewId}/inline/`
  return [
    "default-src 'none'",
    `img-src ${inline} data:${remote}`,
    `style-src 'unsafe-inline'${remote}`,
    `font-src data:${remote}`,
    `media-src data:${remote}`,
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${options.origin}`,
    'sandbox allow-popups allow-popups-to-escape-sandbox',
  ].join('; ')
}

/** An inline image of a mail (an SVG among them must never run anything, even opened alone). */
export function inlineImageCsp(): string {
  return "default-src 'none'; style-src 'unsafe-inline'; sandbox"
}

/** The iframe's sandbox attribute for mail, kept equal to the CSP's sandbox directive. */
export const MAIL_FRAME_SANDBOX = 'allow-popups allow-popups-to-escape-sandbox'

const ALLOWED_SCHEMES = new Set(['http:', 'https:', 'mailto:'])

/**
 * mailto: fields that make a mail client attach a local file (Thunderbird,
 * Evolution, KMail and others honoured `attach=`: a link in a hostile mail
 * could have the user's ~/.ssh/id_rsa attached to a message addressed to
 * its sender). No link Cairn hands on may carry them.
 */
const MAILTO_FILE_FIELDS = new Set(['attach', 'attachment'])

/**
 * Whether a link from the app or from a mail may be handed to the system
 * (browser, mail composer). Only web and mailto links, with no credentials
 * hidden in them and no mailto field that names a file; file:, javascript:,
 * custom protocol handlers and the like never leave the app.
 */
export function isSafeExternalUrl(candidate: string): boolean {
  let url: URL
  try {
    url = new URL(candidate)
  } catch {
    return false
  }
  if (!ALLOWED_SCHEMES.has(url.protocol)) return false
  if (url.protocol === 'mailto:')
    return (
      url.pathname.length > 0 &&
      ![...url.searchParams.keys()].some((key) => MAILTO_FILE_FIELDS.has(key.trim().toLowerCase()))
    )
  return url.hostname.length > 0 && url.username === '' && url.password === ''
}

import { isAbsolute, resolve } from 'node:path'
import { CairnError } from '../../shared/errors.js'

/** Where a `--to` points, before any setting or secret is added. */
export type DestinationAddress =
  | { kind: 'folder'; path: string }
  | { kind: 's3'; bucket: string; prefix: string }
  | { kind: 'webdav'; url: string; user: string | null }
  | { kind: 'sftp'; user: string; host: string; port: number; path: string }
  | { kind: 'name'; name: string }

/** A destination's own name: letters, digits, dot, dash, underscore; not a path. */
export const DESTINATION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

const invalid = (text: string, why: string) =>
  new CairnError(
    'DESTINATION_INVALID',
    `The destination "${JSON.stringify(withoutPassword(text)).slice(1, -1)}" is not usable: ${why}`,
  )

/**
 * The address as it may be shown: whatever sits between a user name's ":"
 * and the last "@" is masked, even in an address that does not parse (an
 * unknown scheme, a bad port, an S3 "bucket" holding key:secret@).
 */
function withoutPassword(text: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)(.*)$/is.exec(text)
  if (!match) return text
  const [, scheme, rest] = match as unknown as [string, string, string]
  const at = rest.lastIndexOf('@')
  const colon = at < 0 ? -1 : rest.slice(0, at).indexOf(':')
  if (colon < 0) return text
  return `${scheme}${rest.slice(0, colon)}:***${rest.slice(at)}`
}

/**
 * Parse a `--to` value: a folder path, s3://BUCKET[/PREFIX],
 * webdav://HOST[:PORT]/PATH, webdavs://…, sftp://USER@HOST[:PORT]/PATH, or a
 * destination's name (`isName` says which names exist; any other plain word
 * is a folder). Control characters and passwords inside URLs are refused.
 */
export function parseDestinationAddress(
  text: string,
  isName: (name: string) => boolean = () => false,
  cwd = process.cwd(),
): DestinationAddress {
  if (!text) throw invalid(text, 'it is empty.')
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/[\0-\x1f\x7f]/.test(text)) throw invalid(text, 'it contains control characters.')
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase()
  if (!scheme) {
    if (DESTINATION_NAME.test(text) && isName(text)) return { kind: 'name', name: text }
    return { kind: 'folder', path: isAbsolute(text) ? resolve(text) : resolve(cwd, text) }
  }
  if (scheme === 's3') return parseS3(text)
  // URL parsing would quietly fold these away: a path that climbs is refused as written.
  if (/\/(\.|%2e){1,2}(\/|$|\?|#)/i.test(text.slice(scheme.length + 3)))
    throw invalid(text, 'the path may not contain "." or ".." segments.')
  if (scheme === 'webdav' || scheme === 'webdavs') {
    const url = parseUrl(text)
    refusePassword(text, url)
    if (!url.hostname) throw invalid(text, 'it names no server.')
    decoded(text, url.pathname) // a lone "%" said as what it is, here rather than when first used
    // Servers merge doubled slashes when they store (as s3:// prefixes do here), and list
    // under the merged path: keep them, and nothing written would be found again.
    const merged = url.pathname.replace(/\/{2,}/g, '/')
    const path = merged.endsWith('/') ? merged : `${merged}/`
    return {
      kind: 'webdav',
      url: `${scheme === 'webdavs' ? 'https' : 'http'}://${url.host}${path}`,
      user: url.username ? decoded(text, url.username) : null,
    }
  }
  if (scheme === 'sftp') {
    const url = parseUrl(text)
    refusePassword(text, url)
    if (!url.username) throw invalid(text, 'an SFTP address needs a user: sftp://USER@HOST/PATH.')
    if (!url.hostname) throw invalid(text, 'it names no server.')
    const path = decoded(text, url.pathname || '/')
    if (path.split('/').includes('..')) throw invalid(text, 'the path may not contain "..".')
    return {
      kind: 'sftp',
      user: decoded(text, url.username),
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port ? Number(url.port) : 22,
      path,
    }
  }
  throw invalid(
    text,
    `"${scheme}://" is not a kind of destination Cairn knows (folder, s3://, webdav://, webdavs://, sftp://).`,
  )
}

/** A %-escaped part of an address, decoded; a "%" not followed by two hex digits is refused. */
function decoded(text: string, part: string): string {
  try {
    return decodeURIComponent(part)
  } catch {
    throw invalid(text, 'a "%" must be followed by two hex digits (write "%25" for "%" itself).')
  }
}

function parseS3(text: string): DestinationAddress {
  const rest = text.slice('s3://'.length)
  const slash = rest.indexOf('/')
  const bucket = slash < 0 ? rest : rest.slice(0, slash)
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..'))
    throw invalid(text, 'a bucket name has 3 to 63 lower-case letters, digits, dots and dashes.')
  const segments = (slash < 0 ? '' : rest.slice(slash + 1)).split('/').filter((s) => s !== '')
  if (segments.some((s) => s === '.' || s === '..'))
    throw invalid(text, 'the prefix may not contain "." or "..".')
  return { kind: 's3', bucket, prefix: segments.length ? `${segments.join('/')}/` : '' }
}

function parseUrl(text: string): URL {
  try {
    return new URL(text)
  } catch {
    throw invalid(text, 'it is not a valid address.')
  }
}

function refusePassword(text: string, url: URL): void {
  if (url.password)
    throw new CairnError(
      'DESTINATION_INVALID',
      'Put no password in a destination address (it would end up in settings and shell history). ' +
        'Give it with --password-stdin, which keeps it in the system keychain.',
    )
  void text
}

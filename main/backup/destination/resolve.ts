import { posix } from 'node:path'
import { CairnError } from '../../shared/errors.js'
import { backupIn, type BackupSource } from './backup-source.js'
import type { Destination } from './destination.js'
import type { DestinationEntry } from './destination-settings.js'
import { parseDestinationAddress, type DestinationAddress } from './destination-url.js'
import { localBackupFile } from './folder/local-file.js'
import { openDestination } from './open-destination.js'

/** A destination's secrets, looked up by purpose (from the keychain; never from settings). */
export interface SecretLookup {
  get(
    destination: string,
    purpose: 'password' | 'secret-access-key' | 'key-passphrase',
  ): string | null
}

/**
 * Where a backup goes, as something that can cross to a worker thread: the
 * address (a folder path or a URL), and when it is one of the profile's
 * named destinations, its name and settings. Secrets are looked up when it
 * is opened, never carried.
 */
export interface DestinationSpec {
  /** A folder path or a URL (s3://, webdav(s)://, sftp://). */
  address: string
  name: string | null
  entry: DestinationEntry | null
}

/** The profile's named destinations, as the resolution needs them. */
export type NamedDestinations = Readonly<Record<string, DestinationEntry>>

/**
 * What a `--to` value (or a profile's backup destination) means: a named
 * destination (its settings), a URL, or a folder. A URL that is the
 * address of a named destination gets that destination's settings too
 * (its CA, pinned host key, endpoint, credentials).
 */
export function resolveDestination(
  text: string,
  named: NamedDestinations = {},
  cwd = process.cwd(),
): DestinationSpec {
  const address = parseDestinationAddress(text, (name) => name in named, cwd)
  if (address.kind === 'name') {
    const entry = named[address.name] as DestinationEntry
    return { address: entry.url, name: address.name, entry }
  }
  const match = matchingNamed(address, named)
  const plain = address.kind === 'folder' ? address.path : text
  return match
    ? { address: plain, name: match[0], entry: match[1] }
    : { address: plain, name: null, entry: null }
}

/** Open the Destination a spec names, with its secrets (or, for scripts, the environment's). */
export function openSpec(
  spec: DestinationSpec,
  secrets: SecretLookup | null,
  options: { env?: NodeJS.ProcessEnv; extra?: Partial<DestinationEntry> } = {},
): Destination {
  const name = spec.name
  return openDestination(
    parseDestinationAddress(spec.address),
    { ...(spec.entry ?? {}), ...(options.extra ?? {}) },
    {
      ...(options.env ? { env: options.env } : {}),
      secrets: name && secrets ? { get: (purpose) => secrets.get(name, purpose) } : null,
    },
  )
}

/** A short, stable id for a spec: the destination's name, or its address. */
export const specLabel = (spec: DestinationSpec): string => spec.name ?? spec.address

/**
 * One backup, named by its path or by a URL ending in its name
 * (s3://bucket/prefix/cairn-backup-….tar.zst.age, webdavs://host/path/…,
 * sftp://user@host/path/…), to read without a local copy. Settings and
 * secrets come from the profile's named destination of that address when
 * there is one, else from `extra` (command-line options) and the
 * environment.
 */
export function openBackupSource(
  locator: string,
  options: {
    named?: NamedDestinations
    secrets?: SecretLookup | null
    env?: NodeJS.ProcessEnv
    extra?: Partial<DestinationEntry>
  } = {},
): BackupSource {
  const parsed = splitBackupAddress(locator)
  if (!parsed) return localBackupFile(locator)
  const spec = resolveDestination(parsed.folder, options.named ?? {})
  const destination = openSpec(spec, options.secrets ?? null, {
    ...(options.env ? { env: options.env } : {}),
    ...(options.extra ? { extra: options.extra } : {}),
  })
  return backupIn(destination, parsed.name)
}

/** A URL naming one backup, split into its folder's address and the backup's name; null for a path. */
export function splitBackupAddress(locator: string): { folder: string; name: string } | null {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(locator)?.[1]?.toLowerCase()
  if (!scheme) return null
  const address = parseDestinationAddress(locator)
  const refuse = () =>
    new CairnError(
      'INVALID_ARGUMENT',
      `${locator} names a folder, not one backup. Add the backup's name (cairn list --to ${locator} shows them).`,
    )
  if (address.kind === 's3') {
    const segments = address.prefix.split('/').filter(Boolean)
    const name = segments.pop()
    if (!name) throw refuse()
    return { folder: `s3://${address.bucket}/${segments.map((s) => `${s}/`).join('')}`, name }
  }
  if (address.kind === 'webdav' || address.kind === 'sftp') {
    // The name is the last segment of the address as written (webdav's parsed URL gained a slash).
    const url = new URL(locator)
    const path = url.pathname.replace(/\/+$/, '')
    const name = decodeURIComponent(posix.basename(path))
    if (!name || locator.endsWith('/')) throw refuse()
    url.pathname = `${posix.dirname(path)}/`
    return { folder: url.toString(), name }
  }
  return null
}

function matchingNamed(
  address: DestinationAddress,
  named: NamedDestinations,
): [string, DestinationEntry] | null {
  const key = addressKey(address)
  for (const [name, entry] of Object.entries(named)) {
    try {
      if (addressKey(parseDestinationAddress(entry.url)) === key) return [name, entry]
    } catch {
      // A damaged entry matches nothing.
    }
  }
  return null
}

function addressKey(address: DestinationAddress): string {
  switch (address.kind) {
    case 'folder':
      return `folder:${address.path.replace(/\/+$/, '')}`
    case 's3':
      return `s3:${address.bucket}/${address.prefix}`
    case 'webdav':
      return `webdav:${address.url}`
    case 'sftp':
      return `sftp:${address.user}@${address.host}:${address.port}${posix.normalize(address.path).replace(/\/+$/, '')}`
    case 'name':
      return `name:${address.name}`
  }
}

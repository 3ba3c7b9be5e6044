import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { BackupSource } from '../backup/destination/backup-source.js'
import type { DestinationEntry } from '../backup/destination/destination-settings.js'
import { openBackupSource } from '../backup/destination/resolve.js'
import { CairnError, errnoCode } from '../shared/errors.js'
import { UsageError, type CliContext } from './command.js'
import { profileDestinations } from './profile-destinations.js'

/**
 * Options for reading one backup at a URL without a named destination
 * (cairn verify and restore): what `cairn destination add` would otherwise
 * have stored. Secrets never come as options: S3 keys from the AWS chain,
 * a WebDAV or SFTP password from CAIRN_DESTINATION_PASSWORD.
 */
export const backupSourceOptions = {
  ca: { type: 'string' },
  endpoint: { type: 'string' },
  region: { type: 'string' },
  user: { type: 'string' },
  identity: { type: 'string' },
  'host-key': { type: 'string' },
} as const

export const backupSourceUsage = `FILE is a backup's path, or a URL naming one backup:
s3://BUCKET/PREFIX/NAME, webdav(s)://HOST[:PORT]/PATH/NAME or
sftp://USER@HOST[:PORT]/PATH/NAME, read as a stream (no local copy). For a
URL inside one of the profile's named destinations, its settings and
keychain secrets are used; otherwise --endpoint/--region (S3, else
AWS_ENDPOINT_URL_S3 and the AWS credential chain), --user, --ca FILE
(WebDAV), --identity FILE and --host-key SHA256:… (SFTP), and
CAIRN_DESTINATION_PASSWORD (WebDAV, SFTP).`

/** Open the backup a command names, with the profile's named destinations when `profileDir` is given. */
export function openCommandBackup(
  locator: string,
  values: {
    ca?: string | undefined
    endpoint?: string | undefined
    region?: string | undefined
    user?: string | undefined
    identity?: string | undefined
    'host-key'?: string | undefined
  },
  profileDir: string | null,
  context: CliContext,
): BackupSource {
  const extra: Partial<DestinationEntry> = {}
  if (values.ca) extra.ca = readText(values.ca)
  if (values.endpoint) extra.endpoint = values.endpoint
  if (values.region) extra.region = values.region
  if (values.user) extra.user = values.user
  if (values.identity) extra.identityFile = resolve(values.identity)
  if (values['host-key']) {
    if (!/^SHA256:[A-Za-z0-9+/]{43}$/.test(values['host-key']))
      throw new UsageError('--host-key takes a fingerprint as ssh-keygen -l shows it (SHA256:…)')
    extra.hostKey = values['host-key']
  }
  const { named, secrets } = profileDestinations(profileDir)
  return openBackupSource(locator, { named, secrets, env: context.env, extra })
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw new CairnError(
      'INVALID_ARGUMENT',
      `Cannot read the certificate authority file ${path} (${errnoCode(error) ?? 'error'}).`,
    )
  }
}

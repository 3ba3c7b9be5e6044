import { readFileSync } from 'node:fs'
import type { DestinationSecrets } from '../../keychain/destination-secrets.js'
import { CairnError, errnoCode } from '../../shared/errors.js'
import type { Destination } from './destination.js'
import type { DestinationEntry } from './destination-settings.js'
import { parseDestinationAddress, type DestinationAddress } from './destination-url.js'
import { FolderDestination } from './folder/folder-destination.js'
import { lazyDestination } from './lazy-destination.js'
import { SftpDestination } from './sftp/sftp-destination.js'
import { WebdavDestination } from './webdav/webdav-destination.js'

export interface OpenOptions {
  env?: NodeJS.ProcessEnv
  /** The destination's keychain secrets (absent for an address given on the command line). */
  secrets?: {
    get(purpose: 'password' | 'secret-access-key' | 'key-passphrase'): string | null
  } | null
  /** For an SFTP server met for the first time: the fingerprint the user accepted. */
  acceptHostKey?: string | null
}

/** A named destination from the profile's settings, with its secrets from the keychain. */
export function openNamedDestination(
  name: string,
  entry: DestinationEntry,
  secrets: DestinationSecrets,
  options: Omit<OpenOptions, 'secrets'> = {},
): Destination {
  return openDestination(parseDestinationAddress(entry.url), entry, {
    ...options,
    secrets: { get: (purpose) => secrets.get(name, purpose) },
  })
}

/**
 * The Destination for an address and its settings. Secrets come from the
 * keychain, or for scripts CAIRN_DESTINATION_PASSWORD (a WebDAV or SFTP
 * password); S3 falls back to the SDK's standard chain (environment,
 * shared credentials file, profile).
 */
export function openDestination(
  address: DestinationAddress,
  entry: Partial<DestinationEntry> = {},
  options: OpenOptions = {},
): Destination {
  const env = options.env ?? process.env
  const secret = (purpose: 'password' | 'secret-access-key' | 'key-passphrase') =>
    options.secrets?.get(purpose) ?? null
  const timeout = entry.timeoutSeconds ? { ms: entry.timeoutSeconds * 1000 } : null
  switch (address.kind) {
    case 'folder':
      return new FolderDestination(address.path)
    case 's3': {
      const secretKey = secret('secret-access-key')
      const settings = {
        bucket: address.bucket,
        prefix: address.prefix,
        endpoint: entry.endpoint ?? null,
        region: entry.region ?? null,
        pathStyle: entry.pathStyle ?? null,
        awsProfile: entry.awsProfile ?? null,
        ca: entry.ca ?? null,
        objectLock: entry.objectLock ?? null,
        credentials:
          entry.user && secretKey ? { accessKeyId: entry.user, secretAccessKey: secretKey } : null,
        env,
        ...(timeout ? { requestTimeoutMs: timeout.ms } : {}),
      }
      // The AWS SDK is loaded only when this destination is first used (lazy-destination.ts).
      return lazyDestination('s3', `s3://${address.bucket}/${address.prefix}`, async () => {
        const { S3Destination } = await import('./s3/s3-destination.js')
        return new S3Destination(settings)
      })
    }
    case 'webdav':
      return new WebdavDestination({
        url: address.url,
        user: entry.user ?? address.user,
        password: secret('password') ?? env.CAIRN_DESTINATION_PASSWORD ?? null,
        ca: entry.ca ?? null,
        ...(timeout ? { timeoutMs: timeout.ms } : {}),
      })
    case 'sftp':
      return new SftpDestination({
        host: address.host,
        port: address.port,
        username: address.user,
        path: address.path,
        hostKey: options.acceptHostKey ?? entry.hostKey ?? null,
        privateKey: entry.identityFile ? readKey(entry.identityFile) : null,
        passphrase: secret('key-passphrase'),
        agent: env.SSH_AUTH_SOCK ?? null,
        password: secret('password') ?? env.CAIRN_DESTINATION_PASSWORD ?? null,
        ...(timeout ? { timeoutMs: timeout.ms } : {}),
      })
    case 'name':
      throw new CairnError(
        'DESTINATION_INVALID',
        `"${address.name}" names a destination: open it from the profile's settings.`,
      )
  }
}

function readKey(path: string): Buffer {
  try {
    return readFileSync(path)
  } catch (error) {
    throw new CairnError(
      'DESTINATION_NO_CREDENTIALS',
      `Cannot read the SSH key file ${path} (${errnoCode(error) ?? 'error'}). Give another with cairn destination add … --identity FILE.`,
      { cause: error },
    )
  }
}

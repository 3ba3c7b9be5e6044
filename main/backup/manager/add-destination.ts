/**
 * Adding a named backup destination from the app's settings (S3, WebDAV,
 * SFTP or a folder), the way `cairn destination add` does it: the address
 * is built from the form's fields and parsed like a typed URL, the
 * connection is tested with the typed secret before anything is saved, an
 * SFTP server's unknown host key is handed back for the user to trust
 * (never accepted silently), the secret goes to the keychain and only
 * public settings go to settings.json. The destination gets a schedule of
 * its own, so it appears in the backup status beside the profile's own.
 */
import { isAbsolute } from 'node:path'
import {
  destinationSecrets,
  type DestinationSecretPurpose,
} from '../../keychain/destination-secrets.js'
import type { SecretStore } from '../../keychain/keychain.js'
import type { Profile } from '../../profile/profile.js'
import { CairnError, isCairnError } from '../../shared/errors.js'
import {
  readDestinations,
  writeDestination,
  type NewDestinationEntry,
} from '../destination/destination-settings.js'
import { parseDestinationAddress, type DestinationAddress } from '../destination/destination-url.js'
import { openDestination } from '../destination/open-destination.js'
import { HostKeyError } from '../destination/sftp/host-key.js'
import type { SchedulePolicy } from '../schedule/policy.js'
import { readBackupSettings } from '../backup-settings.js'

/** What the settings form sends, one shape per kind; secrets only in `secret`. */
export type DestinationForm =
  | { kind: 'folder'; path: string }
  | {
      kind: 's3'
      bucket: string
      prefix: string
      endpoint: string | null
      region: string | null
      accessKeyId: string | null
      secretAccessKey: string | null
    }
  | { kind: 'webdav'; url: string; user: string | null; password: string | null }
  | {
      kind: 'sftp'
      /** USER@HOST[:PORT]/PATH */
      address: string
      password: string | null
      identityFile: string | null
    }

export interface AddDestinationRequest {
  name: string
  form: DestinationForm
  schedule: SchedulePolicy
  /** The SFTP host key the user chose to trust after seeing it (SHA256:…). */
  trustHostKey: string | null
}

export type AddDestinationOutcome =
  | { ok: true; id: string; checks: string[] }
  | {
      ok: false
      error: { code: string; message: string }
      /** SFTP: the server is not known yet; show this and ask before trusting it. */
      hostKey: { fingerprint: string; algorithm: string } | null
    }

function addressOf(form: DestinationForm): string {
  switch (form.kind) {
    case 'folder':
      if (!isAbsolute(form.path.trim()))
        throw new CairnError(
          'INVALID_ARGUMENT',
          `"${form.path}" is not a full folder path: give one that starts at the top (like /home/you/Backups).`,
        )
      return form.path.trim()
    case 's3': {
      const prefix = form.prefix.replace(/^\/+/, '')
      return `s3://${form.bucket}${prefix ? `/${prefix}` : ''}`
    }
    case 'webdav':
      // The address a server's admin gives is an https:// one; Cairn's own spelling is webdavs://.
      return form.url.replace(/^https:\/\//i, 'webdavs://').replace(/^http:\/\//i, 'webdav://')
    case 'sftp':
      return `sftp://${form.address.replace(/^sftp:\/\//i, '')}`
  }
}

function secretOf(
  form: DestinationForm,
): { purpose: DestinationSecretPurpose; value: string } | null {
  const value =
    form.kind === 's3' ? form.secretAccessKey : form.kind === 'folder' ? null : form.password
  if (!value) return null
  const purpose: DestinationSecretPurpose =
    form.kind === 's3'
      ? 'secret-access-key'
      : form.kind === 'sftp' && form.identityFile
        ? 'key-passphrase'
        : 'password'
  return { purpose, value }
}

function entryOf(
  form: DestinationForm,
  address: DestinationAddress,
  url: string,
  schedule: SchedulePolicy,
): NewDestinationEntry {
  return {
    url: address.kind === 'folder' ? address.path : url,
    kind: address.kind as NewDestinationEntry['kind'],
    user:
      form.kind === 's3'
        ? form.accessKeyId
        : form.kind === 'webdav'
          ? (form.user ?? (address.kind === 'webdav' ? address.user : null))
          : address.kind === 'sftp'
            ? address.user
            : null,
    endpoint: form.kind === 's3' ? form.endpoint : null,
    region: form.kind === 's3' ? form.region : null,
    pathStyle: null,
    awsProfile: null,
    objectLock: null,
    ca: null,
    identityFile: form.kind === 'sftp' ? form.identityFile : null,
    hostKey: null,
    bandwidthLimit: null,
    timeoutSeconds: null,
    retention: null,
    schedule,
    addedAt: new Date().toISOString(),
  }
}

const asAnswer = (error: unknown): AddDestinationOutcome => {
  if (error instanceof HostKeyError && error.kind === 'unknown')
    return {
      ok: false,
      error: {
        code: error.code,
        message: `This server is not known yet. Its ${error.algorithm} host key has the fingerprint ${error.fingerprint}. Compare it with the one the server’s administrator gives you (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the server) before you trust it.`,
      },
      hostKey: { fingerprint: error.fingerprint, algorithm: error.algorithm },
    }
  if (isCairnError(error))
    return { ok: false, error: { code: error.code, message: error.message }, hostKey: null }
  throw error
}

/**
 * Test, then save. A refused address or a failed test is an answer (the
 * screen shows its message), not an error; nothing is saved unless the test
 * passed.
 */
export async function addNamedDestination(
  profile: Profile,
  keychain: SecretStore,
  request: AddDestinationRequest,
  env: NodeJS.ProcessEnv,
): Promise<AddDestinationOutcome> {
  const { name, form, schedule } = request
  try {
    if (readDestinations(profile)[name])
      throw new CairnError(
        'DESTINATION_EXISTS',
        `There is already a destination named "${name}": choose another name, or remove that one first.`,
      )
    const url = addressOf(form)
    const address = parseDestinationAddress(url)
    if (address.kind !== form.kind)
      throw new CairnError(
        'DESTINATION_INVALID',
        `"${url}" is not a ${form.kind} address: check what you typed.`,
      )
    const entry = entryOf(form, address, url, schedule)
    if (address.kind === 'sftp') entry.hostKey = request.trustHostKey
    const secret = secretOf(form)
    const destination = openDestination(address, entry, {
      env,
      secrets: { get: (purpose) => (secret && purpose === secret.purpose ? secret.value : null) },
    })
    let checks: string[]
    try {
      checks = (await destination.test()).checks
    } finally {
      await destination.close()
    }
    const secrets = destinationSecrets(keychain, profile.id)
    secrets.deleteAll(name)
    if (secret) secrets.set(name, secret.purpose, secret.value)
    writeDestination(profile, name, entry)
    return { ok: true, id: `named:${name}`, checks }
  } catch (error) {
    return asAnswer(error)
  }
}

/** Forget a named destination and its secrets; its backups stay where they are. */
export function removeNamedDestination(
  profile: Profile,
  keychain: SecretStore,
  name: string,
): void {
  if (!readDestinations(profile)[name])
    throw new CairnError('NOT_FOUND', `There is no destination named "${name}" any more.`)
  if (readBackupSettings(profile)?.destination === name)
    throw new CairnError(
      'DESTINATION_IN_USE',
      `"${name}" is where this profile's own backups go: choose another destination in the backup settings first, then remove it.`,
    )
  writeDestination(profile, name, null)
  destinationSecrets(keychain, profile.id).deleteAll(name)
}
